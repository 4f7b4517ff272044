package io.cachepipe.bench;

import io.cachepipe.cdc.EagerEvictionStats;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.metrics.LatencyHistogram;
import io.cachepipe.demo.DemoDatabase;
import io.cachepipe.demo.DemoRun;
import io.cachepipe.invalidator.InvalidatorMetrics;
import io.cachepipe.sidecar.Pipeline;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * One step of a fixed offered load of row updates on a running pipeline, what {@code bench latency}
 * and {@code bench ceiling} share: writers, in a JVM of their own ({@link WriterProcess}, so that
 * this JVM's CPU is the stages' alone), pace {@code UPDATE posts SET view_count = …} transactions
 * of one or more rows to the offered rate; after a warm-up, the commit-to-eviction latencies (the
 * invalidator's, and the eviction at capture's when it is on) and CPU per process are recorded each
 * second for the step's duration; then the writers stop and the backlog drains, its latencies
 * counted too, so a backlog that builds up is measured, not cut off. The JVM's peak resident memory
 * ({@link ProcessMemory}) covers the whole step, warm-up and drain included.
 */
final class LoadStep {

  /** Name of the writers' process in the CPU figures. */
  static final String WRITERS = "writers";

  /**
   * What a step measured: its figures (as {@code bench latency} reports them) and the median
   * latency of each measured second with any eviction, in ms, in order.
   */
  record Outcome(Map<String, Object> figures, List<Double> secondP50s) {

    double achievedRate() {
      return ((Number) figures.get("achieved_rate")).doubleValue();
    }

    double p99Ms() {
      return ((Number) figures.get("p99_ms")).doubleValue();
    }
  }

  private final Settings settings;
  private final Pipeline pipeline;
  private final DemoDatabase db;
  private final long posts;
  private final ProcessCpu cpu;
  private final CompletableFuture<Throwable> failure;
  private final PrintStream out;
  private boolean peakResettable = true;

  LoadStep(
      Settings settings,
      Pipeline pipeline,
      DemoDatabase db,
      ProcessCpu cpu,
      CompletableFuture<Throwable> failure,
      PrintStream out)
      throws Exception {
    this.settings = settings;
    this.pipeline = pipeline;
    this.db = db;
    this.posts = db.maxId("posts");
    this.cpu = cpu;
    this.failure = failure;
    this.out = out;
  }

  /**
   * Offers {@code rate} rows/s in {@code rowsPerTx}-row transactions from {@code writers}
   * connections (0: one per 1,500 transactions/s, at least 2) for {@code warmup}, then measures for
   * {@code duration}, then drains.
   */
  Outcome run(
      double rate, int rowsPerTx, int writers, long seed, Duration warmup, Duration duration)
      throws Exception {
    double txRate = rate / rowsPerTx;
    int connections = writers > 0 ? writers : (int) Math.max(2, Math.ceil(txRate / 1500));
    if (peakResettable && !ProcessMemory.resetPeak()) {
      peakResettable = false;
      out.println("note: the kernel cannot reset VmHWM: rss_peak_mb counts from the JVM's start");
    }
    try (WriterProcess load =
        WriterProcess.start(
            Connections.from(settings), txRate, rowsPerTx, connections, seed, posts, failure)) {
      cpu.track(WRITERS, load.handle());
      try {
        return measure(load, rate, rowsPerTx, connections, warmup, duration);
      } finally {
        cpu.untrack(WRITERS);
      }
    }
  }

  private Outcome measure(
      WriterProcess load,
      double rate,
      int rowsPerTx,
      int connections,
      Duration warmup,
      Duration duration)
      throws Exception {
    InvalidatorMetrics metrics = pipeline.invalidator().metrics();
    Optional<LatencyHistogram> eager =
        pipeline.capture().eagerEviction().map(EagerEvictionStats::latency);
    long eagerMissedAtStart = eagerMissed();
    out.printf(
        "== %.0f changes/s (%d-row transactions, %d writers): warm-up %ss%n",
        rate, rowsPerTx, connections, warmup.toSeconds());
    Thread.sleep(warmup.toMillis());
    metrics.latency().interval(); // forget the warm-up
    eager.ifPresent(LatencyHistogram::interval);
    Histogram total = new Histogram(3_600_000_000L, 3);
    Histogram eagerTotal = new Histogram(3_600_000_000L, 3);
    List<Double> secondP50s = new ArrayList<>();
    long rowsAtStart = load.rows();
    long start = System.nanoTime();
    cpu.mark();
    Map<String, Double> cores = new LinkedHashMap<>();
    int seconds = 0;
    while (System.nanoTime() - start < duration.toNanos() && !failure.isDone()) {
      LockSupport.parkNanos(1_000_000_000L - (System.nanoTime() - start) % 1_000_000_000L);
      seconds++;
      Histogram second = metrics.latency().interval();
      total.add(second);
      Histogram first = eager.map(LatencyHistogram::interval).orElse(second);
      eagerTotal.add(first);
      if (second.getTotalCount() > 0) {
        secondP50s.add(ms(second.getValueAtPercentile(50)));
      }
      Map<String, Double> now = cpu.coresSinceMark();
      now.forEach((name, c) -> cores.merge(name, c, Double::sum));
      out.printf(
          "[%3ds] rows=%d first eviction p50=%.1fms p99=%.1fms; through Kafka p50=%.1fms"
              + " p99=%.1fms max=%.1fms cpu=%s%n",
          seconds,
          load.rows() - rowsAtStart,
          first.getValueAtPercentile(50) / 1000.0,
          first.getValueAtPercentile(99) / 1000.0,
          second.getValueAtPercentile(50) / 1000.0,
          second.getValueAtPercentile(99) / 1000.0,
          second.getMaxValue() / 1000.0,
          now);
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    long committed = load.rows() - rowsAtStart;
    load.stop();
    long drainStart = System.nanoTime();
    DemoRun.drain(settings, pipeline, db);
    long drainMillis = (System.nanoTime() - drainStart) / 1_000_000;
    Histogram drained = metrics.latency().interval();
    total.add(drained);
    eagerTotal.add(eager.map(LatencyHistogram::interval).orElse(drained));

    Map<String, Object> result = new LinkedHashMap<>();
    result.put("rate", rate);
    result.put("achieved_rate", Math.round(committed / elapsed));
    result.put("duration_s", Math.round(elapsed));
    result.put("changes_measured", total.getTotalCount());
    result.put("p50_ms", ms(total.getValueAtPercentile(50)));
    result.put("p99_ms", ms(total.getValueAtPercentile(99)));
    result.put("p999_ms", ms(total.getValueAtPercentile(99.9)));
    result.put("max_ms", ms(total.getMaxValue()));
    result.put("drain_ms", drainMillis);
    // p50_ms .. max_ms above: commit -> eviction through Kafka. Below: commit -> the first
    // eviction, the one at capture when it is on (every change it evicted counts, also the rare
    // one Kafka's path evicted first); through Kafka when it is off.
    result.put("eager_eviction", eager.isPresent() ? "on" : "off");
    result.put("first_eviction_changes", eagerTotal.getTotalCount());
    result.put("first_eviction_p50_ms", ms(eagerTotal.getValueAtPercentile(50)));
    result.put("first_eviction_p99_ms", ms(eagerTotal.getValueAtPercentile(99)));
    result.put("first_eviction_p999_ms", ms(eagerTotal.getValueAtPercentile(99.9)));
    result.put("first_eviction_max_ms", ms(eagerTotal.getMaxValue()));
    result.put("eager_missed_changes", eagerMissed() - eagerMissedAtStart);
    Map<String, Double> meanCores = new LinkedHashMap<>();
    int n = Math.max(1, seconds);
    cores.forEach((name, c) -> meanCores.put(name, Math.round(c / n * 100) / 100.0));
    result.put("cpu_cores", meanCores);
    result.put("rss_peak_mb", ProcessMemory.peakRssMb());
    return new Outcome(result, secondP50s);
  }

  /** Changes the eviction at capture failed or left to Kafka's path so far; 0 when it is off. */
  private long eagerMissed() {
    return pipeline
        .capture()
        .eagerEviction()
        .map(e -> e.failedChanges() + e.droppedChanges())
        .orElse(0L);
  }

  private static double ms(long micros) {
    return Math.round(micros / 10.0) / 100.0;
  }
}
