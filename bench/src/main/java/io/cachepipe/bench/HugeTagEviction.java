package io.cachepipe.bench;

import io.cachepipe.core.concurrent.DaemonThreads;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.redis.evict.RedisTagEvictor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * Part of {@code bench eviction-cost}: one tag with a huge number of entries registered under it,
 * evicted by the eviction step (its registry moved aside and deleted in chunks) while a probe
 * reader GETs random entries, one every 100 µs: how long the eviction takes, how long Redis keeps
 * the probe waiting meanwhile (and, for comparison, for a second before it with nothing else
 * running), and Redis' own mean time per script call.
 */
final class HugeTagEviction {

  private static final String TAG = "user:huge";
  private static final String PREFIX = "cp:huge_tag:";

  /** Caches and registers entries in slices, on the server: far faster than from a client. */
  private static final String LOAD =
      "for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do"
          + " local k = ARGV[3] .. i"
          + " redis.call('SET', k, '{\"post_count\":10,\"total_views\":5}', 'PX', ARGV[4])"
          + " redis.call('ZADD', KEYS[1], ARGV[5], k)"
          + " end"
          + " redis.call('PEXPIRE', KEYS[1], ARGV[4])"
          + " return 1";

  private HugeTagEviction() {}

  /**
   * Flushes Redis, registers {@code keys} entries under one tag, evicts it with {@code evictor}
   * while a reader on {@code readerConnection} probes, and returns the figures (ms).
   */
  static Map<String, Object> measure(
      RedisCommands<String, String> admin,
      StatefulRedisConnection<String, String> readerConnection,
      RedisTagEvictor evictor,
      int keys) {
    admin.flushall();
    Duration ttl = Duration.ofHours(1);
    String expiry = Long.toString(System.currentTimeMillis() + ttl.toMillis());
    for (int from = 0; from < keys; from += 50_000) {
      admin.eval(
          LOAD,
          ScriptOutputType.INTEGER,
          new String[] {CacheKeys.tagRegistry(TAG)},
          Integer.toString(from),
          Integer.toString(Math.min(keys, from + 50_000) - 1),
          PREFIX,
          Long.toString(ttl.toMillis()),
          expiry);
    }
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("keys_under_the_tag", keys);
    // The same probe for a second with nothing else running: what the machine gives a GET.
    Probe idle = Probe.start(readerConnection, keys);
    LockSupport.parkNanos(Duration.ofSeconds(1).toNanos());
    idle.stopInto(figures, "idle_probe_");
    admin.configResetstat();
    Probe probe = Probe.start(readerConnection, keys);
    long start = System.nanoTime();
    long live = evictor.evict(Map.of(TAG, 1L)).get(TAG).liveCount();
    long nanos = System.nanoTime() - start;
    probe.stopInto(figures, "probe_");
    figures.put("deleted", live);
    figures.put("eviction_ms", Math.round(nanos / 1e5) / 10.0);
    figures.put("redis_evalsha_calls_and_us_per_call", evalshaStats(admin));
    return figures;
  }

  /** Redis' own count of EVALSHA calls and their mean time (µs), from INFO commandstats. */
  private static String evalshaStats(RedisCommands<String, String> admin) {
    for (String line : admin.info("commandstats").split("\r?\n")) {
      if (line.startsWith("cmdstat_evalsha:")) {
        String calls = line.replaceAll("^cmdstat_evalsha:calls=(\\d+),.*", "$1");
        String perCall = line.replaceAll(".*usec_per_call=([0-9.]+).*", "$1");
        return calls + " × " + perCall;
      }
    }
    return "none";
  }

  /** GETs random entries of the tag, one every 100 µs, and keeps each GET's time. */
  private static final class Probe {
    private final Histogram reads = new Histogram(60_000_000_000L, 3);
    private final AtomicBoolean reading = new AtomicBoolean(true);
    private Thread thread;

    static Probe start(StatefulRedisConnection<String, String> connection, int keys) {
      Probe probe = new Probe();
      probe.thread =
          DaemonThreads.start(
              "eviction-cost-probe",
              () -> {
                RedisCommands<String, String> r = connection.sync();
                SplittableRandom random = new SplittableRandom(11);
                while (probe.reading.get()) {
                  long start = System.nanoTime();
                  r.get(PREFIX + random.nextInt(keys));
                  synchronized (probe.reads) {
                    probe.reads.recordValue(System.nanoTime() - start);
                  }
                  LockSupport.parkNanos(100_000);
                }
              });
      return probe;
    }

    void stopInto(Map<String, Object> figures, String prefix) {
      reading.set(false);
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      synchronized (reads) {
        figures.put(prefix + "reads", reads.getTotalCount());
        figures.put(prefix + "p50_ms", ms(reads.getValueAtPercentile(50)));
        figures.put(prefix + "p99_ms", ms(reads.getValueAtPercentile(99)));
        figures.put(prefix + "max_ms", ms(reads.getMaxValue()));
      }
    }
  }

  private static double ms(long nanos) {
    return Math.round(nanos / 1_000.0) / 1_000.0;
  }
}
