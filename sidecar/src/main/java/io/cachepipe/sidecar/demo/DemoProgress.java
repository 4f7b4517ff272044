package io.cachepipe.sidecar.demo;

import io.cachepipe.auditor.AuditResult;
import io.cachepipe.client.CacheClient;
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
final class DemoProgress {

  private final Pipeline pipeline;
  private final CacheClient cache;
  private final PrintStream out;
  private long startNanos;
  private long reads;
  private long hitsAtWarmup;
  private long missesAtWarmup;
  private boolean warmedUp;

  DemoProgress(Pipeline pipeline, CacheClient cache, PrintStream out) {
    this.pipeline = pipeline;
    this.cache = cache;
    this.out = out;
  }

  /**
   * Prints a line a second for {@code duration}, or until a stage fails; notes the cache's counts
   * when {@code warmup} has passed.
   */
  void runFor(
      Duration duration,
      Duration warmup,
      CompletableFuture<Throwable> failure,
      DemoWorkload workload)
      throws InterruptedException {
    startNanos = System.nanoTime();
    long end = startNanos + duration.toNanos();
    long warmupEnd = startNanos + warmup.toNanos();
    long next = startNanos;
    while (System.nanoTime() < end && !failure.isDone()) {
      next += 1_000_000_000L;
      try {
        failure.get(Math.max(0, Math.min(next, end) - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        if (!warmedUp && System.nanoTime() >= warmupEnd) {
          hitsAtWarmup = cache.stats().hits();
          missesAtWarmup = cache.stats().misses();
          warmedUp = true;
        }
        line(workload);
      } catch (ExecutionException e) {
        break;
      }
    }
    reads = workload.reads.sum();
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
        pipeline.warmer() == null ? 0 : pipeline.warmer().warmed(),
        cache.stats().fillsRejected());
  }

  /** The run's figures: with the audit's when it ran, else with why the run stopped. */
  DemoRun.Report report(AuditResult audit, String failure) {
    InvalidatorMetrics m = pipeline.invalidator().metrics();
    Histogram total = m.latency().total();
    Map<String, Object> latency = new LinkedHashMap<>();
    latency.put("p50", round(total.getValueAtPercentile(50) / 1000.0));
    latency.put("p99", round(total.getValueAtPercentile(99) / 1000.0));
    latency.put("max", round(total.getMaxValue() / 1000.0));
    long steadyHits = cache.stats().hits() - hitsAtWarmup;
    long steadyMisses = cache.stats().misses() - missesAtWarmup;
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("changes", pipeline.capture().stats().captured());
    summary.put("evictions", m.evictions());
    summary.put("keys_deleted", m.keysDeleted());
    summary.put("reads", reads);
    summary.put("hit_ratio", round(cache.stats().hitRatio()));
    summary.put(
        "steady_hit_ratio",
        steadyHits + steadyMisses == 0
            ? 0
            : round((double) steadyHits / (steadyHits + steadyMisses)));
    summary.put("latency_ms", latency);
    summary.put("warmer", pipeline.warmer() != null);
    summary.put("warmed", pipeline.warmer() == null ? 0 : pipeline.warmer().warmed());
    summary.put("fills_rejected", cache.stats().fillsRejected());
    summary.put("dead_lettered", m.deadLettered() + pipeline.capture().stats().deadLettered());
    summary.put("audited", audit == null ? 0 : audit.checked());
    summary.put("stale", audit == null ? 0 : audit.stale());
    return new DemoRun.Report(summary, audit == null ? 0 : audit.stale(), failure);
  }

  /** The summary as "key=value" pairs on one line. */
  static String oneLine(Map<String, Object> summary) {
    StringBuilder line = new StringBuilder();
    summary.forEach(
        (k, v) -> line.append(line.length() == 0 ? "" : " ").append(k).append('=').append(v));
    return line.toString();
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
