package io.cachepipe.core.warm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cachepipe.core.config.ConfigException;
import io.cachepipe.core.config.ConfigField;
import io.cachepipe.core.config.Settings;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Shapes and batch queries of warm kinds, as configured. */
class WarmKindsTest {

  private static final String P = WarmableEntry.PREFIX;
  private static final String LATEST_POSTS =
      "SELECT id FROM posts WHERE author_id = :author_id AND NOT is_deleted"
          + " ORDER BY created_at DESC LIMIT 5";

  @Test
  void aKindIsARowUnlessItSaysList() {
    Map<String, String> values = latestPosts();
    assertThat(only(values).shape()).isEqualTo(Shape.ROW);

    values.put(P + "latest.shape", "list");
    assertThat(only(values).shape()).isEqualTo(Shape.LIST);
  }

  @Test
  void anUnknownShapeIsRejectedNamingTheKey() {
    Map<String, String> values = latestPosts();
    values.put(P + "latest.shape", "table");

    assertThatThrownBy(() -> WarmKinds.from(Settings.of(values)))
        .isInstanceOf(ConfigException.class)
        .hasMessage(P + "latest.shape: expected one of row, list, got 'table'");
  }

  @Test
  void aBatchQueryIsGivenTheKeysPlaceholderAndItsKeyColumnDefaultsToIt() {
    Map<String, String> values = latestPosts();
    values.put(
        P + "latest.batch.query", "SELECT author_id, id FROM posts WHERE author_id = ANY(:ids)");

    BatchQuery batch = only(values).batch().orElseThrow();
    assertThat(batch.placeholder()).isEqualTo("author_id");
    assertThat(batch.keyColumn()).isEqualTo("author_id");
    assertThat(batch.size()).isEqualTo(100);
    assertThat(batch.query().sql()).endsWith("= ANY(?)");
    assertThat(only(values).batchKey(Map.of("author_id", "42"))).isEqualTo("42");

    values.put(P + "latest.batch.key.column", "author");
    values.put(P + "latest.batch.size", "25");
    assertThat(only(values).batch().orElseThrow())
        .satisfies(
            b -> {
              assertThat(b.keyColumn()).isEqualTo("author");
              assertThat(b.size()).isEqualTo(25);
            });
  }

  @Test
  void aKindWithoutABatchQueryHasNone() {
    assertThat(only(latestPosts()).batch()).isEmpty();
  }

  @Test
  void aBatchQueryNeedsExactlyOneParameter() {
    Map<String, String> values = latestPosts();
    values.put(P + "latest.batch.query", "SELECT 1 WHERE :a = 1 AND :b = 2");

    assertThatThrownBy(() -> WarmKinds.from(Settings.of(values)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(P + "latest.batch.query: expected one :named parameter")
        .hasMessageContaining("[a, b]");
  }

  @Test
  void aBatchNeedsAKeyWithOnePlaceholder() {
    Map<String, String> values = new LinkedHashMap<>();
    values.put(P + "view.key", "cp:view:{author_id}:{id}");
    values.put(P + "view.tags", "post:{id}");
    values.put(P + "view.query", "SELECT 1 WHERE :id = 1");
    values.put(P + "view.batch.query", "SELECT 1 WHERE 1 = ANY(:ids)");

    assertThatThrownBy(() -> WarmKinds.from(Settings.of(values)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(P + "view.batch.query: a batch needs a key with one placeholder");
  }

  @Test
  void batchSettingsWithoutABatchQueryAreRejected() {
    Map<String, String> values = latestPosts();
    values.put(P + "latest.batch.size", "10");

    assertThatThrownBy(() -> WarmKinds.from(Settings.of(values)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(P + "latest.batch.size: set without " + P + "latest.batch.query");
  }

  @Test
  void aBatchSizeBelowTwoIsRejected() {
    Map<String, String> values = latestPosts();
    values.put(
        P + "latest.batch.query", "SELECT author_id, id FROM posts WHERE author_id = ANY(:ids)");
    values.put(P + "latest.batch.size", "1");

    assertThatThrownBy(() -> WarmKinds.from(Settings.of(values)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(P + "latest.batch.size: expected an integer from 2");
  }

  @Test
  void defaultsIsNotAKindName() {
    Map<String, String> values = new LinkedHashMap<>();
    values.put(P + "defaults.key", "cp:d:{id}");

    assertThatThrownBy(() -> WarmKinds.from(Settings.of(values)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(P + "defaults.key: 'defaults' is not a kind name");
  }

  @Test
  void theKindFieldsAreDocumentedUnderTheNamePlaceholder() {
    assertThat(WarmKinds.kindFields())
        .map(ConfigField::name)
        .containsExactly(
            P + "<name>.key",
            P + "<name>.tags",
            P + "<name>.query",
            P + "<name>.ttl.ms",
            P + "<name>.shape",
            P + "<name>.batch.query",
            P + "<name>.batch.key.column",
            P + "<name>.batch.size");
    assertThat(WarmKinds.kindFields()).allSatisfy(f -> assertThat(f.description()).isNotBlank());
  }

  @Test
  void batchKeysAreBoundAsOneQuotedArrayLiteral() {
    assertThat(BatchQuery.arrayLiteral(List.of("1", "42"))).isEqualTo("{\"1\",\"42\"}");
    assertThat(BatchQuery.arrayLiteral(List.of("a\"b", "c\\d", "e,f")))
        .isEqualTo("{\"a\\\"b\",\"c\\\\d\",\"e,f\"}");
  }

  private static WarmableEntry only(Map<String, String> values) {
    List<WarmableEntry> kinds = WarmKinds.from(Settings.of(values));
    assertThat(kinds).hasSize(1);
    return kinds.get(0);
  }

  private static Map<String, String> latestPosts() {
    Map<String, String> values = new LinkedHashMap<>();
    values.put(P + "latest.key", "cp:latest_posts:{author_id}");
    values.put(P + "latest.tags", "user:{author_id}");
    values.put(P + "latest.query", LATEST_POSTS);
    return values;
  }
}
