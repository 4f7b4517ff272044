package io.cachepipe.core.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.cluster.SlotHash;
import java.util.ArrayList;
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
    for (String tag : awkwardTags()) {
      assertThat(CacheKeys.tagRegistry(tag)).matches(glob(CacheKeys.TAG_REGISTRY_PATTERN));
      assertThat(CacheKeys.tagDrain(tag, "ab")).doesNotMatch(glob(CacheKeys.TAG_REGISTRY_PATTERN));
    }
    // Redis glob, with {} literal: '*' is the only wildcard in the pattern.
    String regex = CacheKeys.TAG_REGISTRY_PATTERN.replace("{", "\\{").replace("}", "\\}");
    regex = regex.replace("*", ".*");

    assertThat(CacheKeys.tagRegistry("user:42")).matches(regex);
    assertThat(CacheKeys.tagVersion("user:42")).doesNotMatch(regex);
    assertThat(CacheKeys.entry("user_stats", 42)).doesNotMatch(regex);
  }

  /** A Redis glob with {@code *} its only wildcard, as a Java regex. */
  private static String glob(String pattern) {
    return java.util.regex.Pattern.quote(pattern).replace("*", "\\E.*\\Q");
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

  /** Tags that could break a naive hash tag: braces anywhere, empty, blank, long, non-ASCII. */
  static List<String> awkwardTags() {
    List<String> tags = new ArrayList<>();
    String base = "user:42";
    for (int i = 0; i <= base.length(); i++) {
      for (String brace : List.of("}", "{", "{}", "}{", "}}", "%", "%7D", "%25")) {
        tags.add(base.substring(0, i) + brace + base.substring(i));
      }
    }
    tags.addAll(List.of("", " ", "  \t ", "}", "{", "{}", "%", "%%", "}x", "x{", "}:keys"));
    tags.addAll(
        List.of("tag:\u00e9t\u00e9", "\u7528\u6237:42", "emoji:\ud83d\ude00}", "nul:\u0000"));
    tags.add("long:" + "x".repeat(10_240));
    tags.add("long:" + "}".repeat(10_240));
    return tags;
  }

  @Test
  void everyKeyOfATagHasTheSameNonEmptyHashTagForAnyTagText() {
    for (String tag : awkwardTags()) {
      List<String> keys = keysOf(tag);
      String hashTag = clusterHashTag(keys.get(0));

      assertThat(hashTag).as("hash tag of %s", tag).isNotEmpty().isNotEqualTo(keys.get(0));
      for (String key : keys) {
        assertThat(clusterHashTag(key)).as("%s of %s", key, tag).isEqualTo(hashTag);
        assertThat(SlotHash.getSlot(key))
            .as("slot of %s", key)
            .isEqualTo(SlotHash.getSlot(keys.get(0)));
      }
    }
  }

  @Test
  void differentTagsNeverShareAHashTag() {
    Set<String> hashTags = new HashSet<>();
    List<String> tags = awkwardTags();
    for (String tag : tags) {
      hashTags.add(clusterHashTag(CacheKeys.tagRegistry(tag)));
    }
    assertThat(hashTags).hasSize(new HashSet<>(tags).size());
  }

  @Test
  void ordinaryTagsAreWrittenAsTheyAre() {
    for (String tag : List.of("user:42", "post:7", "user stats:{odd", "caf\u00e9:1")) {
      assertThat(CacheKeys.hashTag(tag)).isEqualTo(tag);
    }
    assertThat(CacheKeys.tagRegistry("a}b")).isEqualTo("cp:tag:{a%7Db}:keys");
    assertThat(CacheKeys.tagVersion("")).isEqualTo("cp:tag:{%}:v");
    assertThat(CacheKeys.tagPosition("50%")).isEqualTo("cp:tag:{50%25}:pos");
  }

  @Test
  void theTagOfARegistryPositionOrDrainSetIsTheTagItWasMadeFrom() {
    for (String tag : awkwardTags()) {
      assertThat(CacheKeys.tagOf(CacheKeys.tagRegistry(tag))).isEqualTo(tag);
      assertThat(CacheKeys.tagOf(CacheKeys.tagPosition(tag))).isEqualTo(tag);
      assertThat(CacheKeys.tagOf(CacheKeys.tagDrains(tag))).isEqualTo(tag);
    }
  }

  @Test
  void otherKeysHaveNoTag() {
    assertThat(CacheKeys.tagOf(CacheKeys.tagVersion("user:42"))).isNull();
    assertThat(CacheKeys.tagOf(CacheKeys.tagDrain("user:42", "0f"))).isNull();
    assertThat(CacheKeys.tagOf(CacheKeys.entry("user_stats", 42))).isNull();
    assertThat(CacheKeys.tagOf("cp:tag:{a}b}:keys")).as("no tag of ours holds a }").isNull();
  }

  private static List<String> keysOf(String tag) {
    return List.of(
        CacheKeys.tagRegistry(tag),
        CacheKeys.tagVersion(tag),
        CacheKeys.tagPosition(tag),
        CacheKeys.tagDrains(tag),
        CacheKeys.tagDrain(tag, "9f86d081884c7d65"));
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
