package io.cachepipe.sidecar.admin;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.search.Search;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The status page's charts: every probe interval, the rates and percentiles of that interval, taken
 * from the same meters that {@code /metrics} shows; the last five minutes are kept.
 */
final class StatusHistory {

  static final Duration WINDOW = Duration.ofMinutes(5);

  /**
   * One point of the charts; a null figure means there was nothing to measure (no eviction, no
   * read, slot unknown).
   */
  record Sample(
      long t,
      Double changesPerSecond,
      Double evictionsPerSecond,
      Double latencyP50Ms,
      Double latencyP99Ms,
      Double slotRetainedBytes,
      Double hitRatio) {}

  private final MeterRegistry registry;
  private final int capacity;
  private final Deque<Sample> samples = new ArrayDeque<>();
  private Totals previous;

  StatusHistory(MeterRegistry registry, Duration interval) {
    this.registry = registry;
    this.capacity = (int) Math.max(2, WINDOW.toMillis() / interval.toMillis());
  }

  /** Takes one point: the change of every counter since the previous call. */
  synchronized void sample(long nowMillis) {
    Totals now = totals(nowMillis);
    if (previous != null && now.millis > previous.millis) {
      double seconds = (now.millis - previous.millis) / 1000.0;
      long latencyCount = now.latencyCount - previous.latencyCount;
      long reads = now.reads() - previous.reads();
      long keyspaceReads = now.keyspaceReads() - previous.keyspaceReads();
      // The process's own cache-clients' reads if it has any, else all reads of the Redis server.
      Double hitRatio = null;
      if (reads > 0) {
        hitRatio = (double) (now.hits - previous.hits) / reads;
      } else if (keyspaceReads > 0) {
        hitRatio = (double) (now.keyspaceHits - previous.keyspaceHits) / keyspaceReads;
      }
      samples.addLast(
          new Sample(
              nowMillis,
              now.changes < 0 ? null : (now.changes - previous.changes) / seconds,
              now.evictions < 0 ? null : (now.evictions - previous.evictions) / seconds,
              quantileMillis(now, previous, latencyCount, 0.50),
              quantileMillis(now, previous, latencyCount, 0.99),
              Double.isNaN(now.slotBytes) ? null : now.slotBytes,
              hitRatio));
      while (samples.size() > capacity) {
        samples.removeFirst();
      }
    }
    previous = now;
  }

  /** The points of the last five minutes, oldest first. */
  synchronized List<Sample> samples() {
    return List.copyOf(samples);
  }

  private static Double quantileMillis(Totals now, Totals before, long count, double q) {
    if (count <= 0 || now.bounds.length == 0 || now.bounds.length != before.bounds.length) {
      return null;
    }
    long[] delta = new long[now.cumulative.length];
    for (int i = 0; i < delta.length; i++) {
      delta[i] = now.cumulative[i] - before.cumulative[i];
    }
    return quantile(now.bounds, delta, count, q);
  }

  /**
   * The {@code q} quantile of {@code total} values counted in cumulative buckets (values up to
   * {@code bounds[i]}: {@code cumulative[i]}), interpolated within its bucket as Prometheus' {@code
   * histogram_quantile} does; the highest bound when it lies beyond the last bucket.
   */
  static double quantile(double[] bounds, long[] cumulative, long total, double q) {
    double rank = q * total;
    double lower = 0;
    long below = 0;
    for (int i = 0; i < bounds.length; i++) {
      if (cumulative[i] >= rank && cumulative[i] > below) {
        return lower + (bounds[i] - lower) * (rank - below) / (cumulative[i] - below);
      }
      lower = bounds[i];
      below = cumulative[i];
    }
    return bounds[bounds.length - 1];
  }

  private Totals totals(long nowMillis) {
    Totals t = new Totals(nowMillis);
    t.changes = sum(registry.find(PipelineMeters.CHANGES));
    if (t.changes < 0) {
      t.changes = sum(registry.find(PipelineMeters.INVALIDATOR_CHANGES));
    }
    t.evictions = sum(registry.find(PipelineMeters.EVICTIONS));
    t.hits = Math.max(0, sum(registry.find(PipelineMeters.CACHE_READS).tag("result", "hit")));
    t.misses = Math.max(0, sum(registry.find(PipelineMeters.CACHE_READS).tag("result", "miss")));
    t.keyspaceHits =
        Math.max(0, sum(registry.find(PipelineMeters.REDIS_KEYSPACE_READS).tag("result", "hit")));
    t.keyspaceMisses =
        Math.max(0, sum(registry.find(PipelineMeters.REDIS_KEYSPACE_READS).tag("result", "miss")));
    var slot = registry.find(PipelineMeters.SLOT_RETAINED_WAL).gauge();
    t.slotBytes = slot == null ? Double.NaN : slot.value();
    Timer latency = registry.find(PipelineMeters.LATENCY).timer();
    if (latency != null) {
      HistogramSnapshot snapshot = latency.takeSnapshot();
      CountAtBucket[] buckets = snapshot.histogramCounts();
      t.latencyCount = snapshot.count();
      t.bounds = new double[buckets.length];
      t.cumulative = new long[buckets.length];
      for (int i = 0; i < buckets.length; i++) {
        t.bounds[i] = buckets[i].bucket(TimeUnit.MILLISECONDS);
        t.cumulative[i] = (long) buckets[i].count();
      }
    }
    return t;
  }

  /** The sum of the counters found, or -1 if there is none. */
  private static long sum(Search search) {
    var counters = search.functionCounters();
    if (counters.isEmpty()) {
      return -1;
    }
    return (long) counters.stream().mapToDouble(FunctionCounter::count).sum();
  }

  /** Cumulative figures at one moment. */
  private static final class Totals {
    final long millis;
    long changes;
    long evictions;
    long hits;
    long misses;
    long keyspaceHits;
    long keyspaceMisses;
    double slotBytes;
    long latencyCount;
    double[] bounds = new double[0];
    long[] cumulative = new long[0];

    Totals(long millis) {
      this.millis = millis;
    }

    long reads() {
      return hits + misses;
    }

    long keyspaceReads() {
      return keyspaceHits + keyspaceMisses;
    }
  }
}
