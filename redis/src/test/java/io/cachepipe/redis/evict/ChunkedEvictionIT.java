package io.cachepipe.redis.evict;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.core.change.EvictionReport;
import io.cachepipe.core.concurrent.DaemonThreads;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.testing.HugeTag;
import io.cachepipe.testing.LatencyProbe;
import io.cachepipe.testing.RedisFixture;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 14: evicting a tag with a huge registry never blocks Redis. The registry is moved aside in
 * the eviction's own step (with the version bump) and deleted in chunks, each a script of its own;
 * fills after the bump register into a fresh registry and are kept, while every entry registered
 * before it is deleted.
 */
class ChunkedEvictionIT {

  private static final String TAG = "user:huge";
  private static final String PREFIX = "cp:huge:";
  private static final int HUGE = 1_000_000;

  private static RedisFixture server;
  private static RedisClient client;
  private static final List<StatefulRedisConnection<String, String>> connections =
      new ArrayList<>();
  private static RedisCommands<String, String> redis;

  @BeforeAll
  static void startClient() {
    server = TestServers.redis();
    client = RedisClient.create(server.uri());
    redis = connection().sync();
  }

  @AfterAll
  static void stopClient() {
    connections.forEach(StatefulRedisConnection::close);
    client.shutdown();
    server.flushAll();
  }

  @BeforeEach
  void emptyRedis() {
    server.flushAll();
  }

  @Test
  void aRegistryLargerThanAChunkIsDeletedInChunksAndReportedWithinBounds() {
    int count = 3 * EvictionArguments.CHUNK + 7;
    HugeTag.make(server.host(), server.port(), TAG, PREFIX, count, "old");
    RedisTagEvictor evictor = evictor();

    TagEvictor.EvictedTag evicted = evictor.evict(Map.of(TAG, 100L)).get(TAG);

    assertThat(evicted.liveCount()).isEqualTo(count);
    assertThat(evicted.liveKeys()).hasSize(Math.min(count, EvictionReport.MAX_LISTED_KEYS));
    assertThat(redis.dbsize()).as("only the version and position are left").isEqualTo(2);
    assertThat(redis.get(CacheKeys.tagVersion(TAG))).isEqualTo("1");
    assertThat(redis.exists(CacheKeys.tagDrains(TAG))).isZero();
  }

  @Test
  void aDrainLeftUnfinishedByACrashIsFinishedByTheNextEvictionOfTheTagEvenASkippedOne() {
    HugeTag.make(server.host(), server.port(), TAG, PREFIX, 2 * EvictionArguments.CHUNK + 1, "old");
    String drain = CacheKeys.tagDrain(TAG, "crashed");
    // What a crash right after the eviction's own step leaves: the registry moved aside.
    redis.rename(CacheKeys.tagRegistry(TAG), drain);
    redis.sadd(CacheKeys.tagDrains(TAG), drain);
    redis.set(CacheKeys.tagPosition(TAG), "100");

    TagEvictor.EvictedTag replay = evictor().evict(Map.of(TAG, 100L)).get(TAG);

    assertThat(replay.skipped()).isTrue();
    assertThat(replay.liveCount()).isEqualTo(2 * EvictionArguments.CHUNK + 1);
    assertThat(redis.exists(drain, CacheKeys.tagDrains(TAG))).isZero();
  }

  @Test
  void evictingAMillionKeyTagKeepsEveryFreshFillDeletesEveryOlderEntryAndRedisAnswers()
      throws Exception {
    HugeTag.make(server.host(), server.port(), TAG, PREFIX, HUGE, "old");
    Map<String, String> acceptedAfterBump = new ConcurrentHashMap<>();
    AtomicBoolean running = new AtomicBoolean(true);
    List<Thread> threads = new ArrayList<>();
    for (int f = 0; f < 2; f++) {
      CacheEntries filler = new CacheEntries(connection().sync());
      SplittableRandom random = new SplittableRandom(f);
      threads.add(
          DaemonThreads.start(
              "huge-filler-" + f,
              () -> {
                while (running.get()) {
                  String key = HugeTag.key(PREFIX, random.nextInt(HUGE + 10_000));
                  String version = filler.version(TAG);
                  if (filler.fill(key, TAG, version, "fresh:" + version) && !version.equals("0")) {
                    acceptedAfterBump.put(key, version);
                  }
                }
              }));
    }
    RedisCommands<String, String> probed = connection().sync();
    SplittableRandom probeKeys = new SplittableRandom(42);
    LatencyProbe probe =
        LatencyProbe.start(
            "huge-probe", () -> probed.get(HugeTag.key(PREFIX, probeKeys.nextInt(HUGE))));

    long start = System.nanoTime();
    TagEvictor.EvictedTag evicted = evictor().evict(Map.of(TAG, 100L)).get(TAG);
    long millis = (System.nanoTime() - start) / 1_000_000;
    probe.close();
    running.set(false);
    for (Thread thread : threads) {
      thread.join(10_000);
    }
    System.out.printf(
        "EVICTION-1M keys=%d evict_ms=%d fresh_fills=%d probe_reads=%d probe_p99_ms=%.3f"
            + " probe_max_ms=%.3f%n",
        HUGE,
        millis,
        acceptedAfterBump.size(),
        probe.count(),
        probe.p99Millis(),
        probe.maxMillis());

    assertThat(acceptedAfterBump).as("fills raced the eviction").isNotEmpty();
    assertThat(evicted.liveKeys()).hasSize(EvictionReport.MAX_LISTED_KEYS);
    assertThat(evicted.liveCount())
        .as("the million, less those refilled after the bump, plus new keys filled before it")
        .isBetween(HUGE - (long) acceptedAfterBump.size(), HUGE + 10_000L);
    Set<String> fresh = acceptedAfterBump.keySet();
    for (int from = 0; from < HUGE + 10_000; from += 1_000) {
      String[] keys = new String[Math.min(1_000, HUGE + 10_000 - from)];
      for (int i = 0; i < keys.length; i++) {
        keys[i] = HugeTag.key(PREFIX, from + i);
      }
      for (KeyValue<String, String> entry : redis.mget(keys)) {
        if (fresh.contains(entry.getKey())) {
          assertThat(entry.getValue()).as("a fill after the bump, kept").isEqualTo("fresh:1");
        } else {
          assertThat(entry.hasValue())
              .as("%s, registered before the bump", entry.getKey())
              .isFalse();
        }
      }
    }
    assertThat(redis.zcard(CacheKeys.tagRegistry(TAG))).isEqualTo(fresh.size());
    assertThat(redis.exists(CacheKeys.tagDrains(TAG))).isZero();
  }

  private static RedisTagEvictor evictor() {
    return new RedisTagEvictor(connection(), Duration.ofHours(1), Duration.ofMillis(200));
  }

  private static StatefulRedisConnection<String, String> connection() {
    StatefulRedisConnection<String, String> connection = client.connect();
    synchronized (connections) {
      connections.add(connection);
    }
    return connection;
  }
}
