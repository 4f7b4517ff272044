package io.cachepipe.redis.evict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.core.redis.CacheKeys;
import io.lettuce.core.AclSetuserArgs;
import io.lettuce.core.RedisClient;
import io.lettuce.core.SetArgs;
import io.lettuce.core.protocol.CommandType;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RedisTagEvictorIT extends OnARedisServer {

  private static final Duration VERSION_TTL = Duration.ofHours(1);

  private RedisTagEvictor evictor;

  @BeforeEach
  void newEvictor() {
    evictor = new RedisTagEvictor(connection, VERSION_TTL, Duration.ofMillis(200));
  }

  @Test
  void evictingATagDeletesItsKeysAndRegistryAndBumpsItsVersionWithATtl() {
    entries.cache("cp:user:42", "user:42");
    entries.cache("cp:user_stats:42", "user:42");

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
    assertThat(evictor.evict(Map.of(), Map.of("0/0", 500L, "0/1", 400L), 4).watermark())
        .as("two parts have not reported")
        .isEqualTo(-1);
    assertThat(redis.exists(CacheKeys.watermark())).isZero();

    TagEvictor.Evicted evicted =
        evictor.evict(Map.of("user:1", 10L), Map.of("1/0", 700L, "1/1", 600L), 4);
    assertThat(evicted.watermark()).isEqualTo(400);
    assertThat(redis.get(CacheKeys.watermark())).isEqualTo("400");

    // A part never moves back, and neither does the watermark.
    evictor.evict(Map.of(), Map.of("0/1", 100L), 4);
    assertThat(redis.hget(CacheKeys.watermarkParts(), "0/1")).isEqualTo("400");
    long lsn = 0x16_B374_D848L; // a real-looking LSN above 2^32, exact in Lua's doubles
    assertThat(evictor.evict(Map.of(), Map.of("0/1", lsn, "0/0", lsn), 4).watermark())
        .isEqualTo(600);
    evictor.evict(Map.of(), Map.of("1/0", lsn, "1/1", lsn), 4);
    assertThat(redis.get(CacheKeys.watermark())).isEqualTo(Long.toString(lsn));
    assertThat(evictor.evict(Map.of("user:2", 10L), Map.of(), 4).watermark())
        .as("no part carried")
        .isEqualTo(-2);
  }

  @Test
  void aTagRedisRefusesForGoodIsGivenUpAndTheRestOfTheBatchIsApplied() {
    redis.hset(CacheKeys.tagDrains("user:8"), "field", "a hash, not a set"); // WRONGTYPE, always
    entries.cache("cp:user:9", "user:9");

    TagEvictor.Evicted evicted =
        evictor.evict(Map.of("user:8", 10L, "user:9", 10L), Map.of("0/0", 10L), 1);

    assertThat(evicted.tags().get("user:8").failure()).startsWith("WRONGTYPE");
    assertThat(evicted.tags().get("user:9").failed()).isFalse();
    assertThat(evicted.tags().get("user:9").liveKeys()).containsExactly("cp:user:9");
    assertThat(redis.exists("cp:user:9")).isZero();
    assertThat(evicted.watermark()).as("the watermark moves past the refused tag").isEqualTo(10);
    assertThat(evicted.watermarkFailure()).isNull();
  }

  /**
   * A refusal writes nothing: the version and position stay where they were, so that the eviction
   * is not taken for done (a replay, or the Kafka path after the eager one) once the key is
   * repaired. Redis keeps a script's writes before an error.
   */
  @Test
  void aRefusedTagKeepsItsVersionAndPositionSoTheEvictionIsNotTakenForDone() {
    redis.set(CacheKeys.tagRegistry("user:12"), "a string, not a registry");

    TagEvictor.Evicted refused = evictor.evict(Map.of("user:12", 10L), Map.of("0/0", 10L), 1);

    assertThat(refused.tags().get("user:12").failure()).startsWith("WRONGTYPE");
    assertThat(redis.get(CacheKeys.tagVersion("user:12"))).as("version").isNull();
    assertThat(redis.get(CacheKeys.tagPosition("user:12"))).as("position").isNull();

    redis.del(CacheKeys.tagRegistry("user:12")); // repaired
    entries.cache("cp:user:12", "user:12");
    TagEvictor.Evicted again = evictor.evict(Map.of("user:12", 10L), Map.of("0/0", 10L), 1);

    assertThat(again.tags().get("user:12").liveKeys()).containsExactly("cp:user:12");
    assertThat(redis.exists("cp:user:12")).isZero();
  }

  @Test
  void aWatermarkRedisRefusesIsGivenUpAndTheTagsAreEvictedAllTheSame() {
    redis.set(CacheKeys.watermarkParts(), "a string, not a hash");
    entries.cache("cp:user:10", "user:10");

    TagEvictor.Evicted evicted = evictor.evict(Map.of("user:10", 10L), Map.of("0/0", 10L), 1);

    assertThat(evicted.watermarkFailure()).startsWith("WRONGTYPE");
    assertThat(evicted.watermark()).isEqualTo(-2);
    assertThat(evicted.tags().get("user:10").liveKeys()).containsExactly("cp:user:10");
    assertThat(redis.exists("cp:user:10")).isZero();
  }

  @Test
  void aRefusalOfEveryCommandGivesUpTheWholeBatchInsteadOfRetryingForever() {
    redis.aclSetuser(
        "no-scripts",
        AclSetuserArgs.Builder.on()
            .nopass()
            .allCommands()
            .allKeys()
            .removeCommand(CommandType.EVALSHA));
    try (var client = RedisClient.create(server.uri());
        var limited = client.connect()) {
      limited.sync().auth("no-scripts", "");
      RedisTagEvictor refused = new RedisTagEvictor(limited, VERSION_TTL, Duration.ofMillis(200));

      TagEvictor.Evicted evicted = refused.evict(Map.of("user:11", 10L), Map.of("0/0", 10L), 1);

      assertThat(evicted.tags().get("user:11").failure()).startsWith("NOPERM");
      assertThat(evicted.watermarkFailure()).startsWith("NOPERM");
    } finally {
      redis.aclDeluser("no-scripts");
    }
  }

  @Test
  void onlyKeysThatStillExistedAreReportedLive() {
    entries.cache("cp:user:42", "user:42");
    entries.register("cp:user_stats:42", "user:42"); // registered, then deleted
    redis.set("cp:post:7", "{}", SetArgs.Builder.px(1));
    entries.register("cp:post:7", "user:42");
    await().atMost(Duration.ofSeconds(5)).until(() -> redis.exists("cp:post:7") == 0);

    TagEvictor.EvictedTag evicted = evictor.evict(Map.of("user:42", 5L)).get("user:42");

    assertThat(evicted.liveKeys()).containsExactly("cp:user:42");
    assertThat(evicted.liveCount()).isOne();
    assertThat(redis.exists(CacheKeys.tagRegistry("user:42"))).isZero();
  }

  @Test
  void anEvictionAtOrBelowTheTagsPositionChangesNothingAndOneAboveItEvicts() {
    entries.cache("cp:user:42", "user:42");
    assertThat(evictor.evict(Map.of("user:42", 500L)).get("user:42").skipped()).isFalse();
    entries.cache("cp:user_stats:42", "user:42");

    for (long replay : new long[] {500L, 499L, 1L}) {
      TagEvictor.EvictedTag again = evictor.evict(Map.of("user:42", replay)).get("user:42");

      assertThat(again.skipped()).as("at %d", replay).isTrue();
      assertThat(again.liveKeys()).isEmpty();
      assertThat(redis.get("cp:user_stats:42")).as("at %d", replay).isNotNull();
      assertThat(redis.get(CacheKeys.tagVersion("user:42"))).isEqualTo("1");
      assertThat(redis.get(CacheKeys.tagPosition("user:42"))).isEqualTo("500");
    }

    TagEvictor.EvictedTag newer = evictor.evict(Map.of("user:42", 501L)).get("user:42");

    assertThat(newer.skipped()).isFalse();
    assertThat(newer.liveKeys()).containsExactly("cp:user_stats:42");
    assertThat(redis.get(CacheKeys.tagVersion("user:42"))).isEqualTo("2");
    assertThat(redis.get(CacheKeys.tagPosition("user:42"))).isEqualTo("501");
    assertThat(redis.pttl(CacheKeys.tagPosition("user:42")))
        .as("the position is kept as long as the version")
        .isBetween(1L, VERSION_TTL.toMillis());
  }

  @Test
  void anUnconditionalEvictionEvictsWhateverThePositionAndForgetsIt() {
    evictor.evict(Map.of("user:42", 500L));
    entries.cache("cp:user:42", "user:42");

    assertThat(evictor.evict(Map.of("user:42", TagEvictor.UNCONDITIONAL)).get("user:42"))
        .satisfies(e -> assertThat(e.skipped()).isFalse())
        .satisfies(e -> assertThat(e.liveKeys()).containsExactly("cp:user:42"));
    assertThat(redis.exists(CacheKeys.tagPosition("user:42"))).isZero();
    assertThat(evictor.evict(Map.of("user:42", 7L)).get("user:42").skipped())
        .as("a position from before is forgotten")
        .isFalse();
  }

  @Test
  void evictingAgainIsHarmlessReturnsNothingAndOnlyBumpsTheVersion() {
    entries.cache("cp:user:42", "user:42");
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
    entries.cache("cp:user:42", "user:42");
    entries.cache("cp:user:43", "user:43");
    entries.cache("cp:user:420", "user:420");
    redis.set(CacheKeys.tagVersion("user:43"), "5");

    evict("user:42");

    assertThat(redis.get("cp:user:43")).isEqualTo("{\"id\":1}");
    assertThat(redis.get("cp:user:420")).isEqualTo("{\"id\":1}");
    assertThat(redis.zrange(CacheKeys.tagRegistry("user:43"), 0, -1)).containsExactly("cp:user:43");
    assertThat(redis.zrange(CacheKeys.tagRegistry("user:420"), 0, -1))
        .containsExactly("cp:user:420");
    assertThat(redis.get(CacheKeys.tagVersion("user:43"))).isEqualTo("5");
    assertThat(redis.exists(CacheKeys.tagVersion("user:420"))).isZero();
  }

  @Test
  void afterRedisForgetsItsScriptsTheEvictorReloadsItsScript() {
    entries.cache("cp:user:42", "user:42");
    evictor.evict(Map.of("user:42", 1L)); // the scripts are loaded and their SHAs remembered
    redis.scriptFlush();
    entries.cache("cp:user:42", "user:42");

    List<String> live = evictor.evict(Map.of("user:42", 2L)).get("user:42").liveKeys();

    assertThat(live).containsExactly("cp:user:42");
    assertThat(redis.exists("cp:user:42")).isZero();
    assertThat(redis.get(CacheKeys.tagVersion("user:42"))).isEqualTo("2");
  }

  @Test
  void afterRedisForgetsItsScriptsABatchWithAWatermarkIsRetriedAndApplied() {
    evictor.evict(Map.of("user:1", 1L), Map.of("0/0", 100L), 1); // both scripts loaded
    redis.scriptFlush();
    entries.cache("cp:user:1", "user:1");

    TagEvictor.Evicted evicted = evictor.evict(Map.of("user:1", 2L), Map.of("0/0", 200L), 1);

    assertThat(evicted.live().get("user:1")).containsExactly("cp:user:1");
    assertThat(evicted.watermark()).isEqualTo(200);
    assertThat(redis.get(CacheKeys.watermark())).isEqualTo("200");
  }

  @Test
  void batchOfTagsIsEvictedTogetherAndEachReportsItsOwnLiveKeys() {
    entries.cache("cp:user:1", "user:1");
    entries.cache("cp:user:2", "user:2");
    entries.register("cp:user:gone", "user:2");
    Map<String, Long> positions = new LinkedHashMap<>();
    positions.put("user:1", 10L);
    positions.put("user:2", 10L);
    positions.put("user:3", 10L);

    var evicted = evictor.evict(positions);

    assertThat(evicted).containsOnlyKeys("user:1", "user:2", "user:3");
    assertThat(evicted.get("user:1").liveKeys()).containsExactly("cp:user:1");
    assertThat(evicted.get("user:2").liveKeys()).containsExactly("cp:user:2");
    assertThat(evicted.get("user:3").liveKeys()).isEmpty();
    assertThat(redis.exists("cp:user:1", "cp:user:2")).isZero();
    assertThat(redis.get(CacheKeys.tagVersion("user:3"))).isEqualTo("1");
  }

  /** Evicts one tag unconditionally; the live keys. */
  private List<String> evict(String tag) {
    return evictor.evict(Map.of(tag, TagEvictor.UNCONDITIONAL)).get(tag).liveKeys();
  }
}
