package io.cachepipe.core.warm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cachepipe.core.config.ConfigException;
import io.cachepipe.core.config.Settings;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WarmableEntryTest {

  private static final String P = WarmableEntry.PREFIX;

  private static final Settings EXAMPLE = Settings.of(Map.of(WarmKinds.DEFAULTS.name(), "example"));

  @Test
  void withoutConfigurationNoKindIsWarmed() {
    assertThat(WarmableEntry.from(Settings.empty())).isEmpty();
  }

  @Test
  void withDefaultsExampleTheExampleUserStatsEntryApplies() {
    List<WarmableEntry> entries = WarmableEntry.from(EXAMPLE);

    assertThat(entries).hasSize(1);
    WarmableEntry stats = entries.get(0);
    assertThat(stats.name()).isEqualTo("user_stats");
    assertThat(stats.key()).hasToString("cp:user_stats:{author_id}");
    assertThat(stats.tags()).map(Object::toString).containsExactly("user:{author_id}");
    assertThat(stats.query().sql())
        .contains("WHERE author_id = ? AND is_deleted = false")
        .doesNotContain(":author_id");
    assertThat(stats.query().order()).containsExactly("author_id");
    assertThat(stats.ttl()).isEqualTo(Duration.ofMinutes(5));
    assertThat(stats.shape()).isEqualTo(Shape.ROW);
    assertThat(stats.batch()).isEmpty();
  }

  @Test
  void declaredKindsKeepTheExampleOnlyWhenDefaultsSaysSo() {
    Map<String, String> values =
        entryValues("posts", "cp:posts:{id}", "post:{id}", "SELECT 1 WHERE :id = 1", "1000");

    assertThat(WarmableEntry.from(Settings.of(values)))
        .map(WarmableEntry::name)
        .containsExactly("posts");
    values.put(WarmKinds.DEFAULTS.name(), "example");
    assertThat(WarmableEntry.from(Settings.of(values)))
        .map(WarmableEntry::name)
        .containsExactly("posts", "user_stats");
  }

  @Test
  void aDeclaredKeyOfTheExampleKindOverridesItsOwn() {
    Map<String, String> values = new LinkedHashMap<>();
    values.put(WarmKinds.DEFAULTS.name(), "example");
    values.put(P + "user_stats.ttl.ms", "60000");

    assertThat(WarmableEntry.from(Settings.of(values)))
        .singleElement()
        .satisfies(
            stats -> {
              assertThat(stats.ttl()).isEqualTo(Duration.ofMinutes(1));
              assertThat(stats.key()).hasToString("cp:user_stats:{author_id}");
            });
  }

  @Test
  void anUnknownDefaultsValueIsRejectedNamingTheKey() {
    assertThatThrownBy(
            () -> WarmableEntry.from(Settings.of(Map.of(WarmKinds.DEFAULTS.name(), "yes"))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("cachepipe.warm.defaults: expected one of example, none, got 'yes'");
  }

  @Test
  void aKeyOfTheEntryKindYieldsItsPlaceholderValuesAndOtherKeysDoNotMatch() {
    WarmableEntry stats = WarmableEntry.from(EXAMPLE).get(0);

    assertThat(stats.match("cp:user_stats:42")).contains(Map.of("author_id", "42"));
    assertThat(stats.match("cp:user:42")).isEmpty();
    assertThat(stats.match("cp:user_stats:")).isEmpty();
    assertThat(stats.match("xcp:user_stats:42")).isEmpty();
  }

  @Test
  void tagsAreRenderedFromTheKeysPlaceholderValues() {
    WarmableEntry stats = WarmableEntry.from(EXAMPLE).get(0);

    assertThat(stats.tagsFor(Map.of("author_id", "42"))).containsExactly("user:42");
  }

  @Test
  void aConfiguredEntryReplacesTheExampleAndMayHaveSeveralTags() {
    List<WarmableEntry> entries =
        WarmableEntry.from(
            entry(
                "post_view",
                "cp:post_view:{author_id}:{id}",
                "user:{author_id}, post:{id}",
                "SELECT title FROM posts WHERE id = :id AND author_id = :author_id",
                "1000"));

    assertThat(entries)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.name()).isEqualTo("post_view");
              assertThat(e.ttl()).isEqualTo(Duration.ofSeconds(1));
              assertThat(e.match("cp:post_view:3:7")).contains(Map.of("author_id", "3", "id", "7"));
              assertThat(e.tagsFor(Map.of("author_id", "3", "id", "7")))
                  .containsExactly("user:3", "post:7");
            });
  }

  @Test
  void aTagPlaceholderMissingFromTheKeyIsRejectedNamingTheTagsKey() {
    assertThatThrownBy(
            () ->
                WarmableEntry.from(
                    entry(
                        "stats",
                        "cp:stats:{id}",
                        "user:{author_id}",
                        "SELECT 1 WHERE :id = 1",
                        "1000")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(P + "stats.tags:")
        .hasMessageContaining("user:{author_id}");
  }

  @Test
  void aQueryParameterThatIsNotAKeyPlaceholderIsRejectedNamingTheQueryKey() {
    assertThatThrownBy(
            () ->
                WarmableEntry.from(
                    entry(
                        "stats",
                        "cp:stats:{id}",
                        "post:{id}",
                        "SELECT 1 FROM posts WHERE id = :id AND author_id = :author_id",
                        "1000")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(P + "stats.query:")
        .hasMessageContaining("author_id");
  }

  @Test
  void aTtlThatIsNotAPositiveWholeNumberIsRejectedNamingTheTtlKey() {
    for (String bad : List.of("five minutes", "0", "-1", "1.5")) {
      assertThatThrownBy(
              () ->
                  WarmableEntry.from(
                      entry("stats", "cp:stats:{id}", "post:{id}", "SELECT 1 WHERE :id = 1", bad)))
          .as("ttl.ms = %s", bad)
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith(P + "stats.ttl.ms:")
          .hasMessageContaining(bad);
    }
  }

  @Test
  void anUnknownFieldIsRejectedNamingTheFullKey() {
    Map<String, String> values =
        entryValues("stats", "cp:stats:{id}", "post:{id}", "SELECT 1 WHERE :id = 1", "1000");
    values.put(P + "stats.ttl", "1000");

    assertThatThrownBy(() -> WarmableEntry.from(Settings.of(values)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(P + "stats.ttl:")
        .hasMessageContaining("ttl.ms");
  }

  @Test
  void aMissingKeyTemplateIsRejectedNamingTheKey() {
    Map<String, String> values = new LinkedHashMap<>();
    values.put(P + "stats.tags", "post:{id}");
    values.put(P + "stats.query", "SELECT 1 WHERE :id = 1");

    assertThatThrownBy(() -> WarmableEntry.from(Settings.of(values)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(P + "stats.key:");
  }

  private static Settings entry(String name, String key, String tags, String query, String ttl) {
    return Settings.of(entryValues(name, key, tags, query, ttl));
  }

  private static Map<String, String> entryValues(
      String name, String key, String tags, String query, String ttl) {
    Map<String, String> values = new LinkedHashMap<>();
    values.put(P + name + ".key", key);
    values.put(P + name + ".tags", tags);
    values.put(P + name + ".query", query);
    values.put(P + name + ".ttl.ms", ttl);
    return values;
  }
}
