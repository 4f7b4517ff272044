package io.cachepipe.core.tag;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.Op;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.tag.TagRules.TagResult;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The tags of changes, from the example rules and from custom rules. */
class TagRulesTest {

  private static final TagRules EXAMPLE = TagRules.from(Settings.empty());

  private static Map<String, Object> post(int id, int authorId, String title) {
    Map<String, Object> row = new HashMap<>();
    row.put("id", id);
    row.put("author_id", authorId);
    row.put("title", title);
    row.put("view_count", 10);
    return row;
  }

  private static ChangeEvent change(
      Op op, String table, Map<String, Object> before, Map<String, Object> after) {
    return ChangeEvent.of(op, table, Map.of("id", 7), before, after, 1000L, 1L, 5L);
  }

  private static TagRules rules(Map<String, String> config) {
    return TagRules.from(Settings.of(config));
  }

  @Test
  void exampleRulesWatchUsersAndPosts() {
    assertThat(EXAMPLE.tables()).containsExactly("public.posts", "public.users");
    assertThat(EXAMPLE.watches("public.posts")).isTrue();
    assertThat(EXAMPLE.watches("public.comments")).isFalse();
  }

  @Test
  void insertedPostInvalidatesThePostAndItsAuthor() {
    TagResult result =
        EXAMPLE.tagsFor(change(Op.INSERT, "public.posts", null, post(7, 1, "hello")));

    assertThat(result.watched()).isTrue();
    assertThat(result.tags()).containsExactlyInAnyOrder("post:7", "user:1");
    assertThat(result.unrenderedRules()).isEmpty();
  }

  @Test
  void updatedPostInvalidatesThePostAndItsAuthor() {
    TagResult result =
        EXAMPLE.tagsFor(
            change(Op.UPDATE, "public.posts", post(7, 1, "hello"), post(7, 1, "hello!")));

    assertThat(result.tags()).containsExactlyInAnyOrder("post:7", "user:1");
  }

  @Test
  void deletedPostInvalidatesThePostAndItsAuthor() {
    TagResult result =
        EXAMPLE.tagsFor(change(Op.DELETE, "public.posts", post(7, 1, "hello"), null));

    assertThat(result.tags()).containsExactlyInAnyOrder("post:7", "user:1");
    assertThat(result.unrenderedRules()).isEmpty();
  }

  @Test
  void postMovedToAnotherAuthorInvalidatesBothAuthors() {
    TagResult result =
        EXAMPLE.tagsFor(
            change(Op.UPDATE, "public.posts", post(7, 1, "hello"), post(7, 2, "hello")));

    assertThat(result.tags()).containsExactlyInAnyOrder("post:7", "user:1", "user:2");
  }

  @Test
  void updatedUserInvalidatesTheUser() {
    TagResult result =
        EXAMPLE.tagsFor(
            change(
                Op.UPDATE,
                "public.users",
                Map.of("id", 42, "name", "Ann"),
                Map.of("id", 42, "name", "Anna")));

    assertThat(result.tags()).containsExactly("user:42");
  }

  @Test
  void changeOfAnUnwatchedTableIsNotWatchedAndHasNoTags() {
    TagResult result =
        EXAMPLE.tagsFor(change(Op.INSERT, "public.comments", null, Map.of("id", 1, "post_id", 7)));

    assertThat(result.watched()).isFalse();
    assertThat(result.tags()).isEmpty();
    assertThat(result.unrenderedRules()).isEmpty();
  }

  @Test
  void tagOfBothImagesIsReportedOnce() {
    TagResult result =
        EXAMPLE.tagsFor(
            change(Op.UPDATE, "public.posts", post(7, 1, "hello"), post(7, 1, "hello!")));

    assertThat(result.tags()).hasSize(2);
  }

  @Test
  void sameTagFromTwoRulesIsReportedOnce() {
    TagRules rules =
        rules(
            Map.of(
                "cachepipe.rule.a.table", "posts",
                "cachepipe.rule.a.tag", "user:{author_id}",
                "cachepipe.rule.b.table", "posts",
                "cachepipe.rule.b.tag", "user:{author_id}"));

    TagResult result = rules.tagsFor(change(Op.INSERT, "public.posts", null, post(7, 1, "x")));

    assertThat(result.tags()).containsExactly("user:1");
  }

  @Test
  void updateOfNoColumnThatMattersYieldsNoTagFromThatRuleButOtherRulesStillFire() {
    TagRules rules =
        rules(
            Map.of(
                "cachepipe.rule.stats.table", "posts",
                "cachepipe.rule.stats.tag", "user_stats:{author_id}",
                "cachepipe.rule.stats.columns", "author_id, view_count",
                "cachepipe.rule.post.table", "posts",
                "cachepipe.rule.post.tag", "post:{id}"));

    TagResult result =
        rules.tagsFor(
            change(Op.UPDATE, "public.posts", post(7, 1, "old title"), post(7, 1, "new title")));

    assertThat(result.tags()).containsExactly("post:7");
    assertThat(result.unrenderedRules()).isEmpty();
  }

  @Test
  void updateOfAColumnThatMattersYieldsTheTag() {
    TagRules rules =
        rules(
            Map.of(
                "cachepipe.rule.stats.table", "posts",
                "cachepipe.rule.stats.tag", "user_stats:{author_id}",
                "cachepipe.rule.stats.columns", "author_id,view_count"));
    Map<String, Object> viewed = post(7, 1, "title");
    viewed.put("view_count", 11);

    TagResult result =
        rules.tagsFor(change(Op.UPDATE, "public.posts", post(7, 1, "title"), viewed));

    assertThat(result.tags()).containsExactly("user_stats:1");
  }

  @Test
  void columnsThatMatterDoNotFilterInsertsOrDeletes() {
    TagRules rules =
        rules(
            Map.of(
                "cachepipe.rule.stats.table", "posts",
                "cachepipe.rule.stats.tag", "user_stats:{author_id}",
                "cachepipe.rule.stats.columns", "view_count"));

    assertThat(rules.tagsFor(change(Op.INSERT, "public.posts", null, post(7, 1, "t"))).tags())
        .containsExactly("user_stats:1");
    assertThat(rules.tagsFor(change(Op.DELETE, "public.posts", post(7, 1, "t"), null)).tags())
        .containsExactly("user_stats:1");
  }

  @Test
  void unavailableAfterValueTakesTheBeforeValue() {
    Map<String, Object> after = post(7, 1, "new title");
    after.put("author_id", ChangeEvent.UNAVAILABLE_VALUE);

    TagResult result =
        EXAMPLE.tagsFor(change(Op.UPDATE, "public.posts", post(7, 1, "old title"), after));

    assertThat(result.tags()).containsExactlyInAnyOrder("post:7", "user:1");
    assertThat(result.tags()).noneMatch(tag -> tag.contains(ChangeEvent.UNAVAILABLE_VALUE));
    assertThat(result.unrenderedRules()).isEmpty();
  }

  @Test
  void unavailableValueOfAColumnThatMattersCountsAsUnchanged() {
    TagRules rules =
        rules(
            Map.of(
                "cachepipe.rule.stats.table", "posts",
                "cachepipe.rule.stats.tag", "user_stats:{author_id}",
                "cachepipe.rule.stats.columns", "author_id"));
    Map<String, Object> after = post(7, 1, "new title");
    after.put("author_id", ChangeEvent.UNAVAILABLE_VALUE);

    TagResult result =
        rules.tagsFor(change(Op.UPDATE, "public.posts", post(7, 1, "old title"), after));

    assertThat(result.tags()).isEmpty();
  }

  @Test
  void unavailableValueWithoutBeforeImageRendersNoTagAndIsReported() {
    Map<String, Object> after = post(7, 1, "new title");
    after.put("author_id", ChangeEvent.UNAVAILABLE_VALUE);

    TagResult result = EXAMPLE.tagsFor(change(Op.UPDATE, "public.posts", null, after));

    assertThat(result.tags()).containsExactly("post:7");
    assertThat(result.unrenderedRules()).containsExactly("postauthor");
  }

  @Test
  void ruleNamingAColumnMissingFromBothImagesIsReportedUnrendered() {
    TagRules rules =
        rules(
            Map.of(
                "cachepipe.rule.post.table", "posts",
                "cachepipe.rule.post.tag", "post:{id}",
                "cachepipe.rule.bycategory.table", "posts",
                "cachepipe.rule.bycategory.tag", "category:{category_id}"));

    TagResult result =
        rules.tagsFor(change(Op.UPDATE, "public.posts", post(7, 1, "old"), post(7, 1, "new")));

    assertThat(result.tags()).containsExactly("post:7");
    assertThat(result.unrenderedRules()).containsExactly("bycategory");
  }

  @Test
  void tagRuleCollectsIntoTheGivenSetAndReportsWhetherItRendered() {
    TagRule rule =
        new TagRule("author", "public.posts", TagTemplate.parse("user:{author_id}"), null);
    Set<String> out = new java.util.LinkedHashSet<>(List.of("earlier"));

    boolean rendered = rule.collect(change(Op.INSERT, "public.posts", null, Map.of("id", 7)), out);

    assertThat(rendered).isFalse();
    assertThat(out).containsExactly("earlier");
    assertThat(rule.columns()).isEmpty();
  }
}
