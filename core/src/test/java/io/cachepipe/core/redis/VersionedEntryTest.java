package io.cachepipe.core.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class VersionedEntryTest {

  private static final List<String> KEYS =
      List.of(CacheKeys.tagVersion("user:42"), CacheKeys.tagVersion("post:\"7\""));

  @Test
  void encodedEntryDecodesToItsVersionsAndValue() {
    String stored = VersionedEntry.encode(KEYS, List.of("3", "0"), "{\"post_count\":4}");

    VersionedEntry entry = VersionedEntry.decode(stored);

    assertThat(entry.versionKeys()).isEqualTo(KEYS);
    assertThat(entry.versions()).containsExactly("3", "0");
    assertThat(entry.value().get("post_count").asInt()).isEqualTo(4);
  }

  @Test
  void anEntryWithoutTagsCarriesEmptyLists() {
    VersionedEntry entry =
        VersionedEntry.decode(VersionedEntry.encode(List.of(), List.of(), "\"plain\""));

    assertThat(entry.versionKeys()).isEmpty();
    assertThat(entry.value().asText()).isEqualTo("plain");
    assertThat(entry.isCurrent(List.of())).isTrue();
  }

  @Test
  void anEntryIsCurrentOnlyWhileNoVersionMoved() {
    VersionedEntry entry =
        VersionedEntry.decode(VersionedEntry.encode(KEYS, List.of("3", "0"), "1"));

    assertThat(entry.isCurrent(List.of("3", "0"))).isTrue();
    assertThat(entry.isCurrent(Arrays.asList("3", null))).as("a missing version is 0").isTrue();
    assertThat(entry.isCurrent(List.of("4", "0"))).isFalse();
    assertThat(entry.isCurrent(Arrays.asList(null, "0"))).as("an expired version").isFalse();
    assertThat(entry.isCurrent(List.of("3"))).isFalse();
  }

  @Test
  void aStandaloneValueIsNotAVersionedEntry() {
    assertThatThrownBy(() -> VersionedEntry.decode("{\"post_count\":4}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a versioned entry");
    assertThatThrownBy(() -> VersionedEntry.decode("{not json"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void versionsAndKeysMustPair() {
    assertThatThrownBy(() -> VersionedEntry.encode(KEYS, List.of("1"), "1"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
