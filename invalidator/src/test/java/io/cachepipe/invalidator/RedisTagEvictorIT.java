package io.cachepipe.invalidator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.testing.RedisFixture;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RedisTagEvictorIT {

  private static final Duration VERSION_TTL = Duration.ofHours(1);

  private static RedisFixture server;
  private static RedisClient client;
  private static StatefulRedisConnection<String, String> connection;
  private static RedisCommands<String, String> redis;

  private RedisTagEvictor evictor;

  @BeforeAll
  static void connect() {
    server = TestServers.redis();
    client = RedisClient.create(server.uri());
    connection = client.connect();
    redis = connection.sync();
  }

  @AfterAll
  static void disconnect() {
    connection.close();
    client.shutdown();
  }

  @BeforeEach
  void emptyRedis() {
    server.flushAll();
    evictor = new RedisTagEvictor(connection, VERSION_TTL, Duration.ofMillis(200));
  }

  @Test
  void evictingATagDeletesItsKeysAndRegistryAndBumpsItsVersionWithATtl() {
    cache("cp:user:42", "user:42");
    cache("cp:user_stats:42", "user:42");

    List<String> live = evict("user:42");

    assertThat(live).containsExactlyInAnyOrder("cp:user:42", "cp:user_stats:42");
    assertThat(redis.exists("cp:user:42", "cp:user_stats:42")).isZero();
    assertThat(redis.exists(CacheKeys.tagRegistry("user:42"))).isZero();
    assertThat(redis.get(CacheKeys.tagVersion("user:42"))).isEqualTo("1");
    assertThat(redis.pttl(CacheKeys.tagVersion("user:42"))).isBetween(1L, VERSION_TTL.toMillis());
  }

  @Test
  void theWatermarkIsTheLowestPartOnceEveryPartReportedAndNeverMovesBack() {
    // 2 invalidations partitions x 2 changes partitions = 4 parts.
    assertThat(evictor.evict(List.of(), Map.of("0/0", 500L, "0/1", 400L), 4).watermark())
        .as("two parts have not reported")
        .isEqualTo(-1);
    assertThat(redis.exists(CacheKeys.watermark())).isZero();

    TagEvictor.Evicted evicted =
        evictor.evict(List.of("user:1"), Map.of("1/0", 700L, "1/1", 600L), 4);
    assertThat(evicted.watermark()).isEqualTo(400);
    assertThat(redis.get(CacheKeys.watermark())).isEqualTo("400");

    // A part never moves back, and neither does the watermark.
    evictor.evict(List.of(), Map.of("0/1", 100L), 4);
    assertThat(redis.hget(CacheKeys.watermarkParts(), "0/1")).isEqualTo("400");
    long lsn = 0x16_B374_D848L; // a real-looking LSN above 2^32, exact in Lua's doubles
    assertThat(evictor.evict(List.of(), Map.of("0/1", lsn, "0/0", lsn), 4).watermark())
        .isEqualTo(600);
    evictor.evict(List.of(), Map.of("1/0", lsn, "1/1", lsn), 4);
    assertThat(redis.get(CacheKeys.watermark())).isEqualTo(Long.toString(lsn));
    assertThat(evictor.evict(List.of("user:2"), Map.of(), 4).watermark())
        .as("no part carried")
        .isEqualTo(-2);
  }

  @Test
  void onlyKeysThatStillExistedAreReportedLive() {
    cache("cp:user:42", "user:42");
    redis.sadd(CacheKeys.tagRegistry("user:42"), "cp:user_stats:42"); // registered, then deleted
    redis.set("cp:post:7", "{}", SetArgs.Builder.px(1));
    redis.sadd(CacheKeys.tagRegistry("user:42"), "cp:post:7");
    await().atMost(Duration.ofSeconds(5)).until(() -> redis.exists("cp:post:7") == 0);

    List<String> live = evict("user:42");

    assertThat(live).containsExactly("cp:user:42");
    assertThat(redis.exists(CacheKeys.tagRegistry("user:42"))).isZero();
  }

  @Test
  void evictingAgainIsHarmlessReturnsNothingAndOnlyBumpsTheVersion() {
    cache("cp:user:42", "user:42");
    evict("user:42");

    List<String> again = evict("user:42");

    assertThat(again).isEmpty();
    assertThat(redis.get(CacheKeys.tagVersion("user:42"))).isEqualTo("2");
    assertThat(redis.exists("cp:user:42", CacheKeys.tagRegistry("user:42"))).isZero();
  }

  @Test
  void aTagNeverCachedIsEvictedWithoutError() {
    assertThat(evict("post:404")).isEmpty();
    assertThat(redis.get(CacheKeys.tagVersion("post:404"))).isEqualTo("1");
  }

  @Test
  void keysOfOtherTagsAreUntouched() {
    cache("cp:user:42", "user:42");
    cache("cp:user:43", "user:43");
    cache("cp:user:420", "user:420");
    redis.set(CacheKeys.tagVersion("user:43"), "5");

    evict("user:42");

    assertThat(redis.get("cp:user:43")).isEqualTo("{\"id\":1}");
    assertThat(redis.get("cp:user:420")).isEqualTo("{\"id\":1}");
    assertThat(redis.smembers(CacheKeys.tagRegistry("user:43"))).containsExactly("cp:user:43");
    assertThat(redis.smembers(CacheKeys.tagRegistry("user:420"))).containsExactly("cp:user:420");
    assertThat(redis.get(CacheKeys.tagVersion("user:43"))).isEqualTo("5");
    assertThat(redis.exists(CacheKeys.tagVersion("user:420"))).isZero();
  }

  @Test
  void afterRedisForgetsItsScriptsTheEvictorReloadsItsScript() {
    cache("cp:user:42", "user:42");
    evict("user:42"); // the script is loaded and its SHA remembered
    redis.scriptFlush();
    cache("cp:user:42", "user:42");

    List<String> live = evict("user:42");

    assertThat(live).containsExactly("cp:user:42");
    assertThat(redis.exists("cp:user:42")).isZero();
    assertThat(redis.get(CacheKeys.tagVersion("user:42"))).isEqualTo("2");
  }

  private static void cache(String key, String tag) {
    redis.set(key, "{\"id\":1}");
    redis.sadd(CacheKeys.tagRegistry(tag), key);
  }

  @Test
  void batchOfTagsIsEvictedTogetherAndEachReportsItsOwnLiveKeys() {
    redis.set("cp:user:1", "{}");
    redis.set("cp:user:2", "{}");
    redis.sadd(CacheKeys.tagRegistry("user:1"), "cp:user:1");
    redis.sadd(CacheKeys.tagRegistry("user:2"), "cp:user:2", "cp:user:gone");

    var live = evictor.evict(List.of("user:1", "user:2", "user:3"));

    assertThat(live).containsOnlyKeys("user:1", "user:2", "user:3");
    assertThat(live.get("user:1")).containsExactly("cp:user:1");
    assertThat(live.get("user:2")).containsExactly("cp:user:2");
    assertThat(live.get("user:3")).isEmpty();
    assertThat(redis.exists("cp:user:1", "cp:user:2")).isZero();
    assertThat(redis.get(CacheKeys.tagVersion("user:3"))).isEqualTo("1");
  }

  /** Evicts one tag. */
  private List<String> evict(String tag) {
    return evictor.evict(List.of(tag)).get(tag);
  }
}
