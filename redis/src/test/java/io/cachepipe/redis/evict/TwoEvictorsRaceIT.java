package io.cachepipe.redis.evict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.core.concurrent.DaemonThreads;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.testing.RedisFixture;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 17's fence with two evictors, as a race: a writer commits changes to a few rows (each with
 * a commit position above all before it); an eager evictor evicts each change at once and a second
 * one, behind a random delay like the Kafka path's, evicts it again; readers miss, take the tag's
 * version, read the row and fill. After quiescence no entry may differ from its row, and no fill
 * may be rejected that took its version after every change to its row had been evicted once (by
 * either evictor) and saw no change since: that is what the position check buys. Without it the
 * second evictor's late evictions reject such fills, and this test fails.
 */
class TwoEvictorsRaceIT {

  private static final int TAGS = 3;
  private static final int COMMITS = 1_500;
  private static final long SEED = Long.getLong("cachepipe.race.seed", 17);

  private static RedisFixture server;
  private static RedisClient client;
  private static final List<StatefulRedisConnection<String, String>> connections =
      new ArrayList<>();

  private final AtomicLongArray rows = new AtomicLongArray(TAGS);
  private final AtomicLongArray committed = new AtomicLongArray(TAGS);
  private final AtomicLongArray evicted = new AtomicLongArray(TAGS);
  private final Object commitLock = new Object();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final LongAdder freshFillsRejected = new LongAdder();
  private final LongAdder fillsAccepted = new LongAdder();
  private final LongAdder secondEvictionsSkipped = new LongAdder();

  @BeforeAll
  static void startClient() {
    server = TestServers.redis();
    server.flushAll();
    client = RedisClient.create(server.uri());
  }

  @AfterAll
  static void disconnection() {
    connections.forEach(StatefulRedisConnection::close);
    client.shutdown();
  }

  @Test
  void twoEvictorsRacingReadersLeaveNothingStaleAndRejectNoFillMadeAfterTheFirstEviction()
      throws Exception {
    BlockingQueue<long[]> eagerQueue = new LinkedBlockingQueue<>();
    BlockingQueue<long[]> laterQueue = new LinkedBlockingQueue<>();
    List<Thread> threads = new ArrayList<>();
    threads.add(DaemonThreads.start("race-evictor-eager", evictor(eagerQueue, 0, SEED)));
    threads.add(DaemonThreads.start("race-evictor-later", evictor(laterQueue, 3, SEED + 1)));
    List<Thread> readers = new ArrayList<>();
    for (int r = 0; r < 2; r++) {
      readers.add(
          DaemonThreads.start("race-reader-" + r, reader(new SplittableRandom(SEED + 10 + r))));
    }

    SplittableRandom random = new SplittableRandom(SEED);
    long position = 0x16_0000_0000L;
    for (int i = 0; i < COMMITS; i++) {
      int tag = random.nextInt(TAGS);
      synchronized (commitLock) {
        rows.incrementAndGet(tag);
        position += 1 + random.nextInt(100);
        committed.set(tag, position);
      }
      eagerQueue.put(new long[] {tag, position});
      laterQueue.put(new long[] {tag, position});
      LockSupport.parkNanos(random.nextLong(1_000_000));
    }
    await("both evictors evicted every change")
        .atMost(Duration.ofSeconds(60))
        .until(() -> eagerQueue.isEmpty() && laterQueue.isEmpty() && allEvicted());
    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // the last evictions return
    running.set(false);
    for (Thread thread : readers) {
      thread.join(10_000);
    }
    threads.forEach(Thread::interrupt);

    var redis = connection().sync();
    for (int tag = 0; tag < TAGS; tag++) {
      String cached = redis.get(key(tag));
      if (cached != null) {
        assertThat(cached)
            .as("cached %s after quiescence (seed %d)", key(tag), SEED)
            .isEqualTo(Long.toString(rows.get(tag)));
      }
    }
    assertThat(fillsAccepted.sum()).as("readers filled").isPositive();
    assertThat(freshFillsRejected.sum())
        .as("fills rejected though every change to their row had been evicted (seed %d)", SEED)
        .isZero();
    assertThat(secondEvictionsSkipped.sum())
        .as("second evictions of a change, skipped")
        .isPositive();
  }

  private boolean allEvicted() {
    for (int tag = 0; tag < TAGS; tag++) {
      if (evicted.get(tag) < committed.get(tag)) {
        return false;
      }
    }
    return true;
  }

  /** Evicts each queued change, {@code maxDelayMillis} at most after it was committed. */
  private Runnable evictor(BlockingQueue<long[]> queue, int maxDelayMillis, long seed) {
    RedisTagEvictor evictor =
        new RedisTagEvictor(connection(), Duration.ofHours(1), Duration.ofMillis(200));
    SplittableRandom random = new SplittableRandom(seed);
    return () -> {
      try {
        while (true) {
          long[] change = queue.take();
          if (maxDelayMillis > 0) {
            LockSupport.parkNanos(random.nextLong(maxDelayMillis * 1_000_000L));
          }
          int tag = (int) change[0];
          TagEvictor.EvictedTag done = evictor.evict(Map.of(tag(tag), change[1])).get(tag(tag));
          if (done.skipped()) {
            secondEvictionsSkipped.increment();
          }
          evicted.accumulateAndGet(tag, change[1], Math::max);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
  }

  private Runnable reader(SplittableRandom random) {
    CacheEntries cache = new CacheEntries(connection().sync());
    var redis = connection().sync();
    return () -> {
      while (running.get()) {
        int tag = random.nextInt(TAGS);
        if (redis.get(key(tag)) != null) {
          LockSupport.parkNanos(100_000); // a hit
          continue;
        }
        long lastCommit = committed.get(tag);
        boolean everyChangeEvicted = evicted.get(tag) >= lastCommit;
        String version = cache.version(tag(tag));
        long row = rows.get(tag); // the "query"
        LockSupport.parkNanos(random.nextLong(2_000_000));
        boolean filled = cache.fill(key(tag), tag(tag), version, Long.toString(row));
        if (filled) {
          fillsAccepted.increment();
        } else if (everyChangeEvicted && committed.get(tag) == lastCommit) {
          freshFillsRejected.increment();
        }
      }
    };
  }

  private static StatefulRedisConnection<String, String> connection() {
    StatefulRedisConnection<String, String> connection = client.connect();
    synchronized (connections) {
      connections.add(connection);
    }
    return connection;
  }

  private static String tag(int tag) {
    return "user:" + tag;
  }

  private static String key(int tag) {
    return CacheKeys.entry("user_stats", tag);
  }
}
