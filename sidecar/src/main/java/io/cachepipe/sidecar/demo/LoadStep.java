package io.cachepipe.sidecar.demo;

import io.cachepipe.core.config.Settings;
import io.cachepipe.invalidator.InvalidatorMetrics;
import io.cachepipe.sidecar.Pipeline;
import io.cachepipe.sidecar.bench.ProcessCpu;
import io.cachepipe.sidecar.bench.ProcessMemory;
import java.io.PrintStream;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * One step of a fixed offered load of row updates on a running pipeline, what {@code bench latency}
 * and {@code bench ceiling} share: writers pace {@code UPDATE posts SET view_count = …}
 * transactions of one or more rows to the offered rate; after a warm-up, the commit-to-eviction
 * latency (the invalidator's own measure) and CPU per process are recorded each second for the
 * step's duration; then the writers stop and the backlog drains, its latencies counted too, so a
 * backlog that builds up is measured, not cut off. The JVM's peak resident memory ({@link
 * ProcessMemory}) covers the whole step, warm-up and drain included.
 */
final class LoadStep {

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
    AtomicBoolean running = new AtomicBoolean(true);
    LongAdder rows = new LongAdder();
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < connections; w++) {
      threads.add(writer(w, seed, rowsPerTx, txRate / connections, running, rows));
    }
    InvalidatorMetrics metrics = pipeline.invalidator().metrics();
    out.printf(
        "== %.0f changes/s (%d-row transactions, %d writers): warm-up %ss%n",
        rate, rowsPerTx, connections, warmup.toSeconds());
    Thread.sleep(warmup.toMillis());
    metrics.latency().interval(); // forget the warm-up
    Histogram total = new Histogram(3_600_000_000L, 3);
    List<Double> secondP50s = new ArrayList<>();
    long rowsAtStart = rows.sum();
    long start = System.nanoTime();
    cpu.mark();
    Map<String, Double> cores = new LinkedHashMap<>();
    int seconds = 0;
    while (System.nanoTime() - start < duration.toNanos() && !failure.isDone()) {
      LockSupport.parkNanos(1_000_000_000L - (System.nanoTime() - start) % 1_000_000_000L);
      seconds++;
      Histogram second = metrics.latency().interval();
      total.add(second);
      if (second.getTotalCount() > 0) {
        secondP50s.add(ms(second.getValueAtPercentile(50)));
      }
      Map<String, Double> now = cpu.coresSinceMark();
      now.forEach((name, c) -> cores.merge(name, c, Double::sum));
      out.printf(
          "[%3ds] rows=%d latency p50=%.1fms p99=%.1fms max=%.1fms cpu=%s%n",
          seconds,
          rows.sum() - rowsAtStart,
          second.getValueAtPercentile(50) / 1000.0,
          second.getValueAtPercentile(99) / 1000.0,
          second.getMaxValue() / 1000.0,
          now);
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    long committed = rows.sum() - rowsAtStart;
    running.set(false);
    for (Thread t : threads) {
      t.join();
    }
    long drainStart = System.nanoTime();
    DemoRun.drain(settings, pipeline, db);
    long drainMillis = (System.nanoTime() - drainStart) / 1_000_000;
    total.add(metrics.latency().interval());

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
    Map<String, Double> meanCores = new LinkedHashMap<>();
    int n = Math.max(1, seconds);
    cores.forEach((name, c) -> meanCores.put(name, Math.round(c / n * 100) / 100.0));
    result.put("cpu_cores", meanCores);
    result.put("rss_peak_mb", ProcessMemory.peakRssMb());
    return new Outcome(result, secondP50s);
  }

  private Thread writer(
      int index,
      long seed,
      int rowsPerTx,
      double txPerSecond,
      AtomicBoolean running,
      LongAdder rows) {
    Thread t =
        new Thread(
            () -> {
              SplittableRandom random = new SplittableRandom(seed + index);
              String sql =
                  rowsPerTx == 1
                      ? "UPDATE posts SET view_count = view_count + 1 WHERE id = ?"
                      : "UPDATE posts SET view_count = view_count + 1 WHERE id = ANY (?)";
              try (Connection c = db.connection();
                  PreparedStatement st = c.prepareStatement(sql)) {
                c.setAutoCommit(true);
                long begin = System.nanoTime();
                for (long i = 0; running.get(); i++) {
                  long wait = begin + (long) (i * 1e9 / txPerSecond) - System.nanoTime();
                  if (wait > 0) {
                    LockSupport.parkNanos(wait);
                  }
                  if (rowsPerTx == 1) {
                    st.setLong(1, 1 + random.nextLong(posts));
                  } else {
                    Long[] ids = new Long[rowsPerTx];
                    for (int k = 0; k < rowsPerTx; k++) {
                      ids[k] = 1 + random.nextLong(posts);
                    }
                    Array array = c.createArrayOf("bigint", ids);
                    st.setArray(1, array);
                  }
                  rows.add(st.executeUpdate());
                }
              } catch (Exception e) {
                failure.complete(e);
              }
            },
            "bench-writer-" + index);
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static double ms(long micros) {
    return Math.round(micros / 10.0) / 100.0;
  }
}
