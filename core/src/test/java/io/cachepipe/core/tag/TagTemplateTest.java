package io.cachepipe.core.tag;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cachepipe.core.change.ChangeEvent;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TagTemplateTest {

  @Test
  void unclosedBraceIsRejectedWithTheTemplateInTheMessage() {
    assertThatThrownBy(() -> TagTemplate.parse("user:{author_id"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unclosed")
        .hasMessageContaining("user:{author_id");
  }

  @Test
  void unopenedBraceIsRejected() {
    assertThatThrownBy(() -> TagTemplate.parse("user:author_id}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unopened");
  }

  @Test
  void emptyPlaceholderIsRejected() {
    assertThatThrownBy(() -> TagTemplate.parse("user:{}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("placeholder");
    assertThatThrownBy(() -> TagTemplate.parse("user:{  }"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("placeholder");
  }

  @Test
  void nestedBraceIsRejected() {
    assertThatThrownBy(() -> TagTemplate.parse("user:{a{b}"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void blankTemplateIsRejected() {
    assertThatThrownBy(() -> TagTemplate.parse(" ")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TagTemplate.parse(null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void columnsAreListedInOrderOfAppearanceWithoutDuplicates() {
    TagTemplate template = TagTemplate.parse("{b}:{a}:{b}:{ c }");

    assertThat(template.columns()).containsExactly("b", "a", "c");
  }

  @Test
  void rendersOnePlaceholderFromTheRow() {
    TagTemplate template = TagTemplate.parse("user:{author_id}");

    assertThat(template.render(Map.of("author_id", 42, "title", "x"))).hasValue("user:42");
  }

  @Test
  void rendersSeveralPlaceholdersWithTheLiteralsBetweenThem() {
    TagTemplate template = TagTemplate.parse("feed:{author_id}/{lang}:page");

    assertThat(template.render(Map.of("author_id", 7, "lang", "en"))).hasValue("feed:7/en:page");
  }

  @Test
  void templateWithoutPlaceholdersRendersItsText() {
    assertThat(TagTemplate.parse("all_posts").render(Map.of())).hasValue("all_posts");
  }

  @Test
  void missingColumnRendersNothing() {
    assertThat(TagTemplate.parse("user:{author_id}").render(Map.of("id", 1))).isEmpty();
  }

  @Test
  void nullColumnRendersNothing() {
    Map<String, Object> row = new HashMap<>();
    row.put("author_id", null);

    assertThat(TagTemplate.parse("user:{author_id}").render(row)).isEmpty();
  }

  @Test
  void debeziumUnavailablePlaceholderRendersNothing() {
    Map<String, Object> row = Map.of("author_id", ChangeEvent.UNAVAILABLE_VALUE);

    assertThat(TagTemplate.parse("user:{author_id}").render(row)).isEmpty();
  }

  @Test
  void oneMissingColumnOfSeveralRendersNothing() {
    assertThat(TagTemplate.parse("feed:{author_id}:{lang}").render(Map.of("author_id", 7)))
        .isEmpty();
  }

  @Test
  void nullRowRendersNothing() {
    assertThat(TagTemplate.parse("user:{id}").render(null)).isEmpty();
  }

  @Test
  void matchExtractsThePlaceholderValue() {
    assertThat(TagTemplate.parse("cp:user_stats:{author_id}").match("cp:user_stats:42"))
        .hasValue(Map.of("author_id", "42"));
  }

  @Test
  void matchExtractsSeveralPlaceholderValues() {
    assertThat(TagTemplate.parse("feed:{author_id}/{lang}:page").match("feed:7/en:page"))
        .hasValue(Map.of("author_id", "7", "lang", "en"));
  }

  @Test
  void matchRejectsTextOfAnotherKind() {
    assertThat(TagTemplate.parse("cp:user_stats:{author_id}").match("cp:user:4")).isEmpty();
  }

  @Test
  void matchRejectsTextWithAnEmptyPlaceholderValue() {
    assertThat(TagTemplate.parse("cp:user_stats:{author_id}").match("cp:user_stats:")).isEmpty();
  }

  @Test
  void matchRejectsTrailingText() {
    assertThat(TagTemplate.parse("user:{id}:row").match("user:4:row:extra")).isEmpty();
  }

  @Test
  void matchRejectsMissingTrailingLiteral() {
    assertThat(TagTemplate.parse("user:{id}:row").match("user:4")).isEmpty();
  }

  @Test
  void matchInvertsRender() {
    TagTemplate template = TagTemplate.parse("post:{id}:by:{author_id}");
    Map<String, Object> row = Map.of("id", 99, "author_id", 3);

    String rendered = template.render(row).orElseThrow();

    assertThat(template.match(rendered)).hasValue(Map.of("id", "99", "author_id", "3"));
  }

  @Test
  void toStringIsTheSource() {
    assertThat(TagTemplate.parse("user:{id}")).hasToString("user:{id}");
  }
}
