package io.cachepipe.redis.evict;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.core.redis.CacheKeys;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 17: two evictors of the same change, one at capture (eager) and one behind Kafka, or one
 * eviction and its replay after a crash. The second eviction of a change finds the tag's position
 * at or past the change's commit position and changes nothing, so it rejects no fill that began
 * after the first, and deletes no entry that such a fill wrote.
 */
class TwoEvictorsIT extends OnARedisServer {

  private static final String TAG = "user:7";
  private static final String KEY = "cp:user_stats:7";
  private static final long COMMIT = 0x16_B374_D848L;

  private static StatefulRedisConnection<String, String> eagerConnection;
  private static StatefulRedisConnection<String, String> kafkaConnection;

  private RedisTagEvictor eager;
  private RedisTagEvictor kafkaPath;

  @BeforeAll
  static void connectEvictors() {
    eagerConnection = client.connect();
    kafkaConnection = client.connect();
  }

  @AfterAll
  static void disconnectEvictors() {
    eagerConnection.close();
    kafkaConnection.close();
  }

  @BeforeEach
  void newEvictors() {
    eager = new RedisTagEvictor(eagerConnection, Duration.ofHours(1), Duration.ofMillis(200));
    kafkaPath = new RedisTagEvictor(kafkaConnection, Duration.ofHours(1), Duration.ofMillis(200));
  }

  @Test
  void theSecondEvictionOfAChangeKeepsAnEntryFilledAfterTheFirst() {
    entries.cache(KEY, TAG, "{\"posts\":1}");
    TagEvictor.EvictedTag first = eager.evict(Map.of(TAG, COMMIT)).get(TAG);
    assertThat(first.liveKeys()).containsExactly(KEY);

    String version = entries.version(TAG);
    boolean filled = entries.fill(KEY, TAG, version, "{\"posts\":2}");
    TagEvictor.EvictedTag second = kafkaPath.evict(Map.of(TAG, COMMIT)).get(TAG);

    assertThat(filled).as("a fill after the first eviction is accepted").isTrue();
    assertThat(redis.get(KEY)).as("and survives the second").isEqualTo("{\"posts\":2}");
    assertThat(second.skipped()).isTrue();
    assertThat(second.liveKeys()).isEmpty();
    assertThat(redis.zrange(CacheKeys.tagRegistry(TAG), 0, -1)).containsExactly(KEY);
  }

  @Test
  void aFillThatReadItsVersionBetweenTheTwoEvictionsIsAccepted() {
    entries.cache(KEY, TAG, "{\"posts\":1}");
    eager.evict(Map.of(TAG, COMMIT));
    String version = entries.version(TAG); // the reader misses and loads the new row ...

    kafkaPath.evict(Map.of(TAG, COMMIT)); // ... while the Kafka path evicts the same change

    assertThat(entries.fill(KEY, TAG, version, "{\"posts\":2}")).isTrue();
    assertThat(redis.get(KEY)).isEqualTo("{\"posts\":2}");
  }

  @Test
  void aReplayOfEarlierChangesAfterACrashCostsNothing() {
    eager.evict(Map.of(TAG, COMMIT));
    entries.cache(KEY, TAG, "{\"posts\":2}");

    for (long earlier : new long[] {COMMIT - 1, COMMIT - 4096, 1}) {
      boolean skipped = kafkaPath.evict(Map.of(TAG, earlier)).get(TAG).skipped();

      assertThat(redis.get(KEY)).as("after a replay at %d", earlier).isEqualTo("{\"posts\":2}");
      assertThat(skipped).isTrue();
    }
    assertThat(entries.version(TAG)).isEqualTo("1");
  }

  @Test
  void aLaterChangeEvictedByEitherEvictorEvictsAsAlways() {
    eager.evict(Map.of(TAG, COMMIT));
    entries.cache(KEY, TAG, "{\"posts\":2}");
    String version = entries.version(TAG);

    TagEvictor.EvictedTag later = kafkaPath.evict(Map.of(TAG, COMMIT + 1)).get(TAG);

    assertThat(later.skipped()).isFalse();
    assertThat(later.liveKeys()).containsExactly(KEY);
    assertThat(entries.fill(KEY, TAG, version, "{\"posts\":2}"))
        .as("a fill whose version was read before a later change's eviction is rejected")
        .isFalse();
  }
}
