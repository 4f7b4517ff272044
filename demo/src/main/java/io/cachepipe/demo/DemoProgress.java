package io.cachepipe.demo;

import io.cachepipe.auditor.AuditResult;
import io.cachepipe.cdc.EagerEvictionStats;
import io.cachepipe.client.CacheClient;
import io.cachepipe.client.NearCacheStats;
import io.cachepipe.invalidator.InvalidatorMetrics;
import io.cachepipe.sidecar.Pipeline;
import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.HdrHistogram.Histogram;

/** The demo's progress lines, one a second, and its summary. */
public final class DemoProgress {

  private final Pipeline pipeline;
  private final CacheClient cache;
  private final PrintStream out;
  private long startNanos;
  private long reads;
  private long elapsedNanos;
  private Duration warmup = Duration.ZERO;
  private long hitsAtWarmup;
  private long missesAtWarmup;
  private Histogram latencyAtWarmup;
  private boolean warmedUp;

  DemoProgress(Pipeline pipeline, CacheClient cache, PrintStream out) {
    this.pipeline = pipeline;
    this.cache = cache;
    this.out = out;
  }

  /**
   * Prints a line a second for {@code duration}, or until a stage fails; notes the cache's counts
   * and the latencies so far when {@code warmup} has passed, so that the summary can leave them
   * out.
   */
  void runFor(
      Duration duration,
      Duration warmup,
      CompletableFuture<Throwable> failure,
      DemoWorkload workload)
      throws InterruptedException {
    this.warmup = warmup;
    startNanos = System.nanoTime();
    long end = startNanos + duration.toNanos();
    long warmupEnd = startNanos + warmup.toNanos();
    long next = startNanos;
    while (System.nanoTime() < end && !failure.isDone()) {
      next += 1_000_000_000L;
      try {
        failure.get(Math.max(0, Math.min(next, end) - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        line(workload);
        if (!warmedUp && System.nanoTime() >= warmupEnd) {
          hitsAtWarmup = cache.stats().hits();
          missesAtWarmup = cache.stats().misses();
          // After the line: taking the total folds the second's latencies into it.
          latencyAtWarmup = pipeline.invalidator().metrics().latency().total();
          warmedUp = true;
        }
      } catch (ExecutionException e) {
        break;
      }
    }
    reads = workload.reads.sum();
    elapsedNanos = System.nanoTime() - startNanos;
  }

  private void line(DemoWorkload workload) {
    InvalidatorMetrics m = pipeline.invalidator().metrics();
    Histogram interval = m.latency().interval();
    out.printf(
        Locale.ROOT,
        "[%4ds] captured=%d evictions=%d latency p50=%.1fms p99=%.1fms writes=%d reads=%d"
            + " hit=%.1f%% warmed=%d fills_rejected=%d%n",
        (System.nanoTime() - startNanos) / 1_000_000_000L,
        pipeline.capture().stats().captured(),
        m.evictions(),
        interval.getValueAtPercentile(50) / 1000.0,
        interval.getValueAtPercentile(99) / 1000.0,
        workload.writes.sum(),
        workload.reads.sum(),
        cache.stats().hitRatio() * 100,
        pipeline.warmer() == null ? 0 : pipeline.warmer().stats().warmed(),
        cache.stats().fillsRejected());
  }

  /**
   * The run's figures: with the audit's when it ran, else with why the run stopped. The {@code
   * steady_} figures leave out the warm-up (caches filling, the JVM compiling, the first seconds'
   * backlog), the others are of the whole run.
   */
  DemoRun.Report report(AuditResult audit, String failure) {
    InvalidatorMetrics m = pipeline.invalidator().metrics();
    Histogram total = m.latency().total();
    Histogram steady = total.copy();
    if (warmedUp) {
      steady.subtract(latencyAtWarmup);
    }
    long steadyHits = cache.stats().hits() - hitsAtWarmup;
    long steadyMisses = cache.stats().misses() - missesAtWarmup;
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("changes", pipeline.capture().stats().captured());
    summary.put("evictions", m.evictions());
    // Entries deleted by either evictor: the eviction at capture deletes most of them, and the
    // eviction through Kafka then finds the tag already evicted at that position.
    long deletedAtCapture =
        pipeline.capture().eagerEviction().map(EagerEvictionStats::keysDeleted).orElse(0L);
    summary.put("keys_deleted", m.keysDeleted() + deletedAtCapture);
    summary.put("keys_deleted_at_capture", deletedAtCapture);
    summary.put("reads", reads);
    summary.put("reads_per_s", elapsedNanos == 0 ? 0 : round(reads / (elapsedNanos / 1e9)));
    summary.put("hit_ratio", round(cache.stats().hitRatio()));
    cache
        .nearCache()
        .ifPresent(
            near -> {
              NearCacheStats n = near.stats();
              Map<String, Object> tier = new LinkedHashMap<>();
              tier.put("hits", n.hits());
              tier.put("misses", n.misses());
              tier.put("bypasses", n.bypasses());
              tier.put("fills_refused", n.fillsRefused());
              tier.put("drops", n.drops());
              // Of all reads, those served from memory, and those served from memory or Redis.
              long fromRedis = cache.stats().hits();
              long all = n.hits() + fromRedis + cache.stats().misses();
              tier.put("served_in_process", all == 0 ? 0 : round((double) n.hits() / all));
              tier.put(
                  "hit_ratio_both_tiers",
                  all == 0 ? 0 : round((double) (n.hits() + fromRedis) / all));
              summary.put("near_cache", tier);
            });
    summary.put("steady_hit_ratio", warmedUp ? hitRatio(steadyHits, steadyMisses) : null);
    summary.put("warmup_s", warmup.toMillis() / 1000.0);
    summary.put("latency_ms", latencyFigures(total));
    summary.put("steady_latency_ms", warmedUp ? latencyFigures(steady) : null);
    summary.put("warmer", pipeline.warmer() != null);
    summary.put("warmed", pipeline.warmer() == null ? 0 : pipeline.warmer().stats().warmed());
    summary.put("fills_rejected", cache.stats().fillsRejected());
    summary.put("dead_lettered", m.deadLettered() + pipeline.capture().stats().deadLettered());
    summary.put("audited", audit == null ? 0 : audit.checked());
    summary.put("stale", audit == null ? 0 : audit.stale());
    return new DemoRun.Report(summary, audit == null ? 0 : audit.stale(), failure);
  }

  /** Hits over reads, 0 with no reads. */
  static double hitRatio(long hits, long misses) {
    return hits + misses == 0 ? 0 : round((double) hits / (hits + misses));
  }

  /** Commit-to-eviction latency in milliseconds, and how many evictions it is of. */
  private static Map<String, Object> latencyFigures(Histogram micros) {
    Map<String, Object> latency = new LinkedHashMap<>();
    latency.put("p50", round(micros.getValueAtPercentile(50) / 1000.0));
    latency.put("p99", round(micros.getValueAtPercentile(99) / 1000.0));
    latency.put("max", round(micros.getMaxValue() / 1000.0));
    latency.put("samples", micros.getTotalCount());
    return latency;
  }

  /** The summary as "key=value" pairs on one line. */
  public static String oneLine(Map<String, Object> summary) {
    StringBuilder line = new StringBuilder();
    summary.forEach(
        (k, v) -> line.append(line.length() == 0 ? "" : " ").append(k).append('=').append(v));
    return line.toString();
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
