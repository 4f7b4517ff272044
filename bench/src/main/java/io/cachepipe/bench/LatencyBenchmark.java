package io.cachepipe.bench;

import io.cachepipe.cdc.EagerEvictionConfig;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.json.Json;
import io.cachepipe.demo.DemoDatabase;
import io.cachepipe.demo.DemoOptions;
import io.cachepipe.demo.DemoProgress;
import io.cachepipe.demo.DemoRun;
import io.cachepipe.demo.DemoServers;
import io.cachepipe.sidecar.Main;
import io.cachepipe.sidecar.Pipeline;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
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
 * the writers stopped, so a backlog that builds up is measured, not cut off. Each rate is one
 * {@link LoadStep}. Two such measures: commit to the eviction through Kafka (the invalidator's),
 * and commit to the first eviction, which is the one at capture (the cdc stage's own measure)
 * unless {@code --eager off} leaves the path through Kafka alone.
 */
@Command(
    name = "latency",
    mixinStandardHelpOptions = true,
    description = {
      "Commit-to-eviction latency at fixed offered loads: --rate changes/s (a comma-separated list"
          + " sweeps them in turn) of single-row updates, or of --rows-per-tx-row transactions, for"
          + " --duration each after --warmup. Prints progress every second; --json ends with one"
          + " JSON object (achieved_rate; p50_ms, p99_ms, p999_ms, max_ms: commit to eviction"
          + " through Kafka; first_eviction_p50_ms, _p99_ms, _p999_ms, _max_ms: commit to the"
          + " first eviction, at capture unless --eager off; drain_ms, cpu per process,"
          + " rss_peak_mb of this JVM, which runs the stages (the writers run in a JVM of their own), per rate)."
    })
public final class LatencyBenchmark implements Callable<Integer> {

  @Mixin DemoOptions options;

  @Option(
      names = "--rate",
      split = ",",
      defaultValue = "2000",
      description =
          "Offered changes (rows) per second; a list runs each, and 0 measures the idle pipeline"
              + " (default ${DEFAULT-VALUE}).")
  List<Double> rates;

  @Mixin UpdateLoadOptions load;

  @Option(
      names = "--eager",
      paramLabel = "on|off",
      defaultValue = "on",
      description =
          "Eviction at capture (cachepipe.cdc.eager.eviction); off measures the path through"
              + " Kafka alone (default ${DEFAULT-VALUE}).")
  String eager;

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
    for (double rate : rates) {
      if (!(rate >= 0) || Double.isInfinite(rate)) {
        throw new picocli.CommandLine.ParameterException(
            new picocli.CommandLine(this),
            "--rate: expected changes per second >= 0 (0 measures the idle pipeline), got " + rate);
      }
    }
    List<Map<String, Object>> results = new ArrayList<>();
    try (DemoServers servers = DemoServers.start(options, out)) {
      Settings settings =
          DemoRun.settings(
              servers, options, Map.of(EagerEvictionConfig.ENABLED.name(), eagerEnabled()));
      try (DemoDatabase db = DemoRun.seededDatabase(servers, options, 64)) {
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        try (Pipeline pipeline = DemoRun.startPipeline(settings, db, failure)) {
          LoadStep step =
              new LoadStep(
                  settings, pipeline, db, new ProcessCpu(servers.processes()), failure, out);
          for (double rate : rates) {
            Map<String, Object> result =
                step.run(
                        rate,
                        load.rowsPerTx,
                        load.writers,
                        options.seed,
                        options.warmup,
                        options.duration)
                    .figures();
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
    summary.put("rows_per_tx", load.rowsPerTx);
    summary.put("eager_eviction", eager);
    summary.put("cores", Runtime.getRuntime().availableProcessors());
    summary.put("results", results);
    if (svg != null) {
      Files.writeString(svg, LatencyPlot.svg(results, load.rowsPerTx));
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

  private String eagerEnabled() {
    if (!eager.equals("on") && !eager.equals("off")) {
      throw new picocli.CommandLine.ParameterException(
          new picocli.CommandLine(this), "--eager: expected on or off, got '" + eager + "'");
    }
    return Boolean.toString(eager.equals("on"));
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
}
