package io.cachepipe.core.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.cluster.SlotHash;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CacheKeysTest {

  /** The part of a key Redis Cluster hashes: the first non-empty {...}, else the whole key. */
  private static String clusterHashTag(String key) {
    int open = key.indexOf('{');
    if (open >= 0) {
      int close = key.indexOf('}', open + 1);
      if (close > open + 1) {
        return key.substring(open + 1, close);
      }
    }
    return key;
  }

  @Test
  void entryKeyIsReadable() {
    assertThat(CacheKeys.entry("user_stats", 42)).isEqualTo("cp:user_stats:42");
  }

  @Test
  void tagRegistryAndVersionKeys() {
    assertThat(CacheKeys.tagRegistry("user:42")).isEqualTo("cp:tag:{user:42}:keys");
    assertThat(CacheKeys.tagVersion("user:42")).isEqualTo("cp:tag:{user:42}:v");
  }

  @Test
  void theRegistryPatternMatchesRegistriesOnly() {
    // Redis glob, with {} literal: '*' is the only wildcard in the pattern.
    String regex = CacheKeys.TAG_REGISTRY_PATTERN.replace("{", "\\{").replace("}", "\\}");
    regex = regex.replace("*", ".*");

    assertThat(CacheKeys.tagRegistry("user:42")).matches(regex);
    assertThat(CacheKeys.tagVersion("user:42")).doesNotMatch(regex);
    assertThat(CacheKeys.entry("user_stats", 42)).doesNotMatch(regex);
  }

  @Test
  void registryAndVersionOfOneTagShareTheClusterHashTag() {
    String tag = "user:42";

    assertThat(clusterHashTag(CacheKeys.tagRegistry(tag))).isEqualTo(tag);
    assertThat(clusterHashTag(CacheKeys.tagVersion(tag))).isEqualTo(tag);
  }

  @Test
  void registryAndVersionOfOneTagLandInOneClusterSlot() {
    for (String tag : List.of("user:42", "post:7", "user:{odd}", "{}")) {
      assertThat(SlotHash.getSlot(CacheKeys.tagRegistry(tag)))
          .as(tag)
          .isEqualTo(SlotHash.getSlot(CacheKeys.tagVersion(tag)));
    }
  }

  @Test
  void tagsSpreadOverTheClusterSlots() {
    Set<Integer> slots = new HashSet<>();
    Set<Integer> masters = new HashSet<>();
    for (int id = 0; id < 100; id++) {
      int slot = SlotHash.getSlot(CacheKeys.tagVersion("user:" + id));
      slots.add(slot);
      masters.add(slot * 3 / SlotHash.SLOT_COUNT);
    }
    assertThat(slots).hasSizeGreaterThan(90);
    assertThat(masters).containsExactlyInAnyOrder(0, 1, 2);
  }

  @Test
  void registryAndVersionOfOneTagAreDistinctKeys() {
    assertThat(CacheKeys.tagRegistry("post:7")).isNotEqualTo(CacheKeys.tagVersion("post:7"));
  }

  @Test
  void differentTagsHashDifferently() {
    assertThat(clusterHashTag(CacheKeys.tagVersion("user:1")))
        .isNotEqualTo(clusterHashTag(CacheKeys.tagVersion("user:2")));
  }
}
