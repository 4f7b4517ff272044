package io.cachepipe.sidecar.demo;

import io.cachepipe.core.config.Settings;
import io.cachepipe.core.json.Json;
import io.cachepipe.invalidator.InvalidatorMetrics;
import io.cachepipe.sidecar.Main;
import io.cachepipe.sidecar.Pipeline;
import io.cachepipe.sidecar.Stage;
import io.cachepipe.sidecar.bench.ProcessCpu;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cachepipe bench latency}: commit-to-eviction latency under a fixed offered load of row
 * updates, for one rate or a sweep of rates on the same servers and pipeline.
 *
 * <p>Latency is the invalidator's own measure: from a change's commit time (PostgreSQL's clock) to
 * the moment Redis applied the eviction step that covers it (this machine's clock: the same one).
 * It counts every change applied from the end of the warm-up until the backlog has drained after
 * the writers stopped, so a backlog that builds up is measured, not cut off.
 */
@Command(
    name = "latency",
    mixinStandardHelpOptions = true,
    description = {
      "Commit-to-eviction latency at fixed offered loads: --rate changes/s (a comma-separated list"
          + " sweeps them in turn) of single-row updates, or of --rows-per-tx-row transactions, for"
          + " --duration each after --warmup. Prints progress every second; --json ends with one"
          + " JSON object (achieved_rate, p50_ms, p99_ms, p999_ms, max_ms, drain_ms, cpu per"
          + " process, per rate)."
    })
public final class LatencyBenchmark implements Callable<Integer> {

  @Mixin DemoOptions options;

  @Option(
      names = "--rate",
      split = ",",
      defaultValue = "2000",
      description =
          "Offered changes (rows) per second; a list runs each (default ${DEFAULT-VALUE}).")
  List<Double> rates;

  @Option(
      names = "--rows-per-tx",
      defaultValue = "1",
      description = "Rows each transaction updates (default ${DEFAULT-VALUE}).")
  int rowsPerTx;

  @Option(
      names = "--writers",
      defaultValue = "0",
      description = "Writer connections; 0 picks one per 1,500 transactions/s, at least 2.")
  int writers;

  @Option(names = "--json", description = "End with one JSON object of every rate's figures.")
  boolean json;

  @Option(
      names = "--svg",
      paramLabel = "FILE",
      description = "Also plot p50/p99 latency against the achieved rate into this SVG file.")
  Path svg;

  @Option(
      names = "--replot",
      paramLabel = "JSON-FILE",
      description =
          "Run nothing: redraw --svg from a file whose last line is an earlier run's --json output.")
  Path replot;

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    if (replot != null) {
      return replot(out);
    }
    List<Map<String, Object>> results = new ArrayList<>();
    try (DemoServers servers = DemoServers.start(options, out)) {
      Settings settings = DemoRun.settings(servers, options, Map.of());
      try (DemoDatabase db = DemoRun.seededDatabase(servers, options, 64)) {
        long posts = db.maxId("posts");
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        try (Pipeline pipeline =
            Pipeline.start(settings, EnumSet.allOf(Stage.class), failure::complete)) {
          pipeline.capture().awaitStarted(Duration.ofSeconds(60));
          pipeline.awaitReady(Duration.ofSeconds(60));
          DemoRun.firstRoundTrip(pipeline, db);
          ProcessCpu cpu = new ProcessCpu(servers.processes());
          for (double rate : rates) {
            Map<String, Object> result =
                runRate(rate, settings, pipeline, db, posts, cpu, failure, out);
            out.println("result: " + DemoProgress.oneLine(result));
            results.add(result);
            if (failure.isDone()) {
              break;
            }
          }
        }
        if (failure.isDone()) {
          out.println("a stage failed: " + failure.join().getMessage());
        }
      }
    }
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("scenario", "latency");
    summary.put("rows_per_tx", rowsPerTx);
    summary.put("cores", Runtime.getRuntime().availableProcessors());
    summary.put("results", results);
    if (svg != null) {
      Files.writeString(svg, LatencyPlot.svg(results, rowsPerTx));
      out.println("plot: " + svg.toAbsolutePath());
    }
    if (json) {
      // For one rate, its figures are also at the top level.
      if (results.size() == 1) {
        summary.putAll(results.get(0));
      }
      out.println(Json.mapper().writeValueAsString(summary));
    }
    return results.size() == rates.size() ? 0 : Main.FAILED;
  }

  @SuppressWarnings("unchecked")
  private int replot(PrintStream out) throws Exception {
    if (svg == null) {
      throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(this), "--replot needs --svg FILE");
    }
    List<String> lines = Files.readAllLines(replot);
    Map<String, Object> summary = Json.mapper().readValue(lines.get(lines.size() - 1), Map.class);
    Files.writeString(
        svg,
        LatencyPlot.svg(
            (List<Map<String, Object>>) summary.get("results"),
            ((Number) summary.get("rows_per_tx")).intValue()));
    out.println("plot: " + svg.toAbsolutePath());
    return 0;
  }

  private Map<String, Object> runRate(
      double rate,
      Settings settings,
      Pipeline pipeline,
      DemoDatabase db,
      long posts,
      ProcessCpu cpu,
      CompletableFuture<Throwable> failure,
      PrintStream out)
      throws Exception {
    double txRate = rate / rowsPerTx;
    int connections = writers > 0 ? writers : (int) Math.max(2, Math.ceil(txRate / 1500));
    AtomicBoolean running = new AtomicBoolean(true);
    LongAdder rows = new LongAdder();
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < connections; w++) {
      threads.add(writer(w, txRate / connections, posts, db, running, rows, failure));
    }
    InvalidatorMetrics metrics = pipeline.invalidator().metrics();
    out.printf(
        "== %.0f changes/s (%d-row transactions, %d writers): warm-up %ss%n",
        rate, rowsPerTx, connections, options.warmup.toSeconds());
    Thread.sleep(options.warmup.toMillis());
    metrics.latency().interval(); // forget the warm-up
    Histogram total = new Histogram(3_600_000_000L, 3);
    long rowsAtStart = rows.sum();
    long start = System.nanoTime();
    cpu.mark();
    Map<String, Double> cores = new LinkedHashMap<>();
    int seconds = 0;
    while (System.nanoTime() - start < options.duration.toNanos() && !failure.isDone()) {
      LockSupport.parkNanos(1_000_000_000L - (System.nanoTime() - start) % 1_000_000_000L);
      seconds++;
      Histogram second = metrics.latency().interval();
      total.add(second);
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
    return result;
  }

  private Thread writer(
      int index,
      double txPerSecond,
      long posts,
      DemoDatabase db,
      AtomicBoolean running,
      LongAdder rows,
      CompletableFuture<Throwable> failure) {
    Thread t =
        new Thread(
            () -> {
              SplittableRandom random = new SplittableRandom(options.seed + index);
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
