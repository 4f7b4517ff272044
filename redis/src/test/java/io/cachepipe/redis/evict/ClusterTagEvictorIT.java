package io.cachepipe.redis.evict;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.redis.CacheScripts;
import io.cachepipe.testing.RedisClusterFixture;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cluster eviction step against three real masters: tags of any text (issue 14: one starting
 * with a closing brace used to put its registry and version in different slots, CROSSSLOT), large
 * registries taken a chunk at a time, and positions (issue 17) as on a single server.
 */
class ClusterTagEvictorIT {

  private static final Duration TTL = Duration.ofHours(1);

  private static RedisClusterFixture servers;
  private static RedisClusterClient client;
  private static StatefulRedisClusterConnection<String, String> inspector;
  private static RedisAdvancedClusterCommands<String, String> redis;
  private final List<StatefulRedisClusterConnection<String, String>> evictorConnections =
      new ArrayList<>();

  @BeforeAll
  static void connect() {
    servers = TestServers.redisCluster();
    client = RedisClusterClient.create(servers.uris().stream().map(RedisURI::create).toList());
    inspector = client.connect();
    redis = inspector.sync();
  }

  @AfterAll
  static void disconnect() {
    inspector.close();
    client.shutdown();
  }

  @BeforeEach
  void emptyCluster() {
    servers.flushAll();
  }

  @AfterEach
  void closeEvictors() {
    evictorConnections.forEach(StatefulRedisClusterConnection::close);
  }

  @Test
  void tagsOfAnyTextAreFencedFilledAndEvictedWithoutCrossSlotErrors() {
    List<String> tags =
        List.of(
            "}x",
            "{",
            "{}",
            "a}b{c",
            "",
            " ",
            "user:42}",
            "%7D",
            "\u00e9t\u00e9:\u7528\u6237",
            "long:" + "}".repeat(10_240));
    Map<String, Long> positions = new LinkedHashMap<>();
    for (int i = 0; i < tags.size(); i++) {
      String key = CacheKeys.entry("awkward", i);
      assertThat(fence(tags.get(i), key)).as("fence of %s", tags.get(i)).isTrue();
      redis.set(key, "{}", SetArgs.Builder.px(TTL.toMillis()));
      positions.put(tags.get(i), 100L);
    }

    TagEvictor.Evicted evicted = evictor().evict(positions, Map.of(), 0);

    for (int i = 0; i < tags.size(); i++) {
      String tag = tags.get(i);
      assertThat(evicted.tags().get(tag).liveKeys())
          .as("live keys of %s", tag)
          .containsExactly(CacheKeys.entry("awkward", i));
      assertThat(redis.get(CacheKeys.tagVersion(tag))).as("version of %s", tag).isEqualTo("1");
      assertThat(redis.get(CacheKeys.tagPosition(tag))).isEqualTo("100");
      assertThat(fence(tag, "cp:late:1")).as("a fill that read version 0 after it").isFalse();
    }
    assertThat(evictor().evict(positions, Map.of(), 0).tags().values())
        .allSatisfy(e -> assertThat(e.skipped()).isTrue());
  }

  @Test
  void aTagRedisRefusesForGoodIsGivenUpAndTheOtherTagsOfTheBatchAreEvicted() {
    redis.hset(CacheKeys.tagDrains("user:8"), "field", "a hash, not a set"); // WRONGTYPE, always
    String key = CacheKeys.entry("user_stats", 9);
    redis.set(key, "{}", SetArgs.Builder.px(TTL.toMillis()));
    redis.zadd(CacheKeys.tagRegistry("user:9"), System.currentTimeMillis() + TTL.toMillis(), key);
    Map<String, Long> positions = new LinkedHashMap<>();
    positions.put("user:8", 10L);
    positions.put("user:9", 10L);

    TagEvictor.Evicted evicted = evictor().evict(positions, Map.of("0/0", 10L), 1);

    assertThat(evicted.tags().get("user:8").failure()).startsWith("WRONGTYPE");
    assertThat(evicted.tags().get("user:9").liveKeys()).containsExactly(key);
    assertThat(redis.exists(key)).isZero();
    assertThat(evicted.watermark()).isEqualTo(10);
  }

  @Test
  void aRegistryLargerThanAChunkIsTakenAndDeletedAChunkAtATime() {
    int count = 2 * EvictionArguments.CHUNK + 3;
    for (int i = 0; i < count; i++) {
      String key = CacheKeys.entry("post", i);
      redis.set(key, "{}", SetArgs.Builder.px(TTL.toMillis()));
      redis.zadd(CacheKeys.tagRegistry("user:1"), System.currentTimeMillis() + TTL.toMillis(), key);
    }

    TagEvictor.EvictedTag evicted =
        evictor().evict(Map.of("user:1", 5L), Map.of(), 0).tags().get("user:1");

    assertThat(evicted.liveCount()).isEqualTo(count);
    assertThat(redis.exists(CacheKeys.entry("post", 0), CacheKeys.entry("post", count - 1)))
        .isZero();
    assertThat(redis.dbsize()).as("the version and position").isEqualTo(2);
  }

  @Test
  void theSecondEvictionOfAChangeKeepsAnEntryFilledAfterTheFirst() {
    String key = CacheKeys.entry("user_stats", 7);
    assertThat(fence("user:7", key)).isTrue();
    evictor().evict(Map.of("user:7", 500L), Map.of(), 0);

    String version = redis.get(CacheKeys.tagVersion("user:7"));
    assertThat(fence("user:7", key, version)).isTrue();
    redis.set(key, "fresh", SetArgs.Builder.px(TTL.toMillis()));
    TagEvictor.EvictedTag second =
        evictor().evict(Map.of("user:7", 500L), Map.of(), 0).tags().get("user:7");

    assertThat(redis.get(key)).isEqualTo("fresh");
    assertThat(redis.get(CacheKeys.tagVersion("user:7"))).isEqualTo(version);
    assertThat(second.skipped()).isTrue();
  }

  private static boolean fence(String tag, String key) {
    return fence(tag, key, "0");
  }

  private static boolean fence(String tag, String key, String version) {
    Long passed =
        CacheScripts.FENCED_TAG.run(
            redis,
            ScriptOutputType.INTEGER,
            new String[] {CacheKeys.tagVersion(tag), CacheKeys.tagRegistry(tag)},
            version,
            key,
            Long.toString(TTL.toMillis()));
    return passed == 1L;
  }

  private ClusterTagEvictor evictor() {
    StatefulRedisClusterConnection<String, String> connection = client.connect();
    evictorConnections.add(connection);
    return new ClusterTagEvictor(connection, Duration.ofHours(1), Duration.ofMillis(200));
  }
}
