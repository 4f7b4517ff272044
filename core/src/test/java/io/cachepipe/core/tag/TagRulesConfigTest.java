package io.cachepipe.core.tag;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cachepipe.core.config.ConfigException;
import io.cachepipe.core.config.Settings;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Parsing of {@code cachepipe.rule.*} configuration. */
class TagRulesConfigTest {

  private static TagRules from(Map<String, String> config) {
    return TagRules.from(Settings.of(config));
  }

  @Test
  void customRulesReplaceTheExampleRules() {
    TagRules rules =
        from(
            Map.of(
                "cachepipe.rule.order.table", "shop.orders",
                "cachepipe.rule.order.tag", "order:{id}"));

    assertThat(rules.tables()).containsExactly("shop.orders");
    assertThat(rules.watches("public.users")).isFalse();
    assertThat(rules.watches("public.posts")).isFalse();
  }

  @Test
  void unqualifiedTableIsInThePublicSchema() {
    TagRules rules =
        from(Map.of("cachepipe.rule.post.table", "posts", "cachepipe.rule.post.tag", "post:{id}"));

    assertThat(rules.tables()).containsExactly("public.posts");
    assertThat(rules.watches("posts")).isFalse();
  }

  @Test
  void qualifiedTableKeepsItsSchema() {
    assertThat(TagRules.qualify("shop.orders")).isEqualTo("shop.orders");
    assertThat(TagRules.qualify("orders")).isEqualTo("public.orders");
  }

  @Test
  void ruleKeepsItsNameTemplateAndColumns() {
    TagRules rules =
        from(
            Map.of(
                "cachepipe.rule.stats.table", " posts ",
                "cachepipe.rule.stats.tag", "user_stats:{author_id}",
                "cachepipe.rule.stats.columns", "author_id, ,view_count"));

    TagRule rule = rules.rulesOf("public.posts").get(0);
    assertThat(rule.name()).isEqualTo("stats");
    assertThat(rule.template()).hasToString("user_stats:{author_id}");
    assertThat(rule.columns()).containsExactlyInAnyOrder("author_id", "view_count");
  }

  @Test
  void rulesOfAnUnwatchedTableAreEmpty() {
    assertThat(TagRules.from(Settings.empty()).rulesOf("public.comments")).isEmpty();
  }

  @Test
  void missingTableIsAnErrorNamingTheFullKey() {
    assertThatThrownBy(() -> from(Map.of("cachepipe.rule.post.tag", "post:{id}")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cachepipe.rule.post.table")
        .hasMessageContaining("required");
  }

  @Test
  void missingTagIsAnErrorNamingTheFullKey() {
    assertThatThrownBy(() -> from(Map.of("cachepipe.rule.post.table", "posts")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cachepipe.rule.post.tag")
        .hasMessageContaining("required");
  }

  @Test
  void unknownRuleFieldIsAnErrorNamingTheFullKey() {
    assertThatThrownBy(
            () ->
                from(
                    Map.of(
                        "cachepipe.rule.post.table", "posts",
                        "cachepipe.rule.post.tag", "post:{id}",
                        "cachepipe.rule.post.colums", "id")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cachepipe.rule.post.colums")
        .hasMessageContaining("colums");
  }

  @Test
  void malformedTemplateIsAnErrorNamingTheFullKey() {
    assertThatThrownBy(
            () ->
                from(
                    Map.of(
                        "cachepipe.rule.post.table", "posts",
                        "cachepipe.rule.post.tag", "post:{id")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cachepipe.rule.post.tag")
        .hasMessageContaining("unclosed");
  }
}
