package io.cachepipe.bench;

import io.cachepipe.core.config.Settings;
import io.cachepipe.core.json.Json;
import io.cachepipe.demo.DemoDatabase;
import io.cachepipe.demo.DemoOptions;
import io.cachepipe.demo.DemoProgress;
import io.cachepipe.demo.DemoRun;
import io.cachepipe.demo.DemoServers;
import io.cachepipe.sidecar.Main;
import io.cachepipe.sidecar.Pipeline;
import io.cachepipe.sidecar.cli.DurationConverter;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * {@code cachepipe bench ceiling}: the highest offered rate of row updates the pipeline sustains,
 * found by short probes ({@link CeilingSearch}) and confirmed for the full duration, each a {@link
 * LoadStep} on the same servers and pipeline.
 */
@Command(
    name = "ceiling",
    mixinStandardHelpOptions = true,
    defaultValueProvider = CeilingBenchmark.Defaults.class,
    description = {
      "Throughput ceiling: the highest offered rate of single-row updates (or --rows-per-tx-row"
          + " transactions) sustained with commit-to-eviction p99 under --max-p99 and no growing"
          + " lag. After an unjudged --jit-warmup at --start, probes of --probe each (after"
          + " --warmup)"
          + " double from --start while sustained, then"
          + " bisect to within 10%%; the best rate is then confirmed for --duration (if that fails,"
          + " 90%% of it once). Reports every step, the ceiling in rows/s and transactions/s, this"
          + " JVM's peak RSS during the confirmation and CPU per process; --json ends with one JSON"
          + " object."
    })
public final class CeilingBenchmark implements Callable<Integer> {

  @Mixin DemoOptions options;

  @Mixin UpdateLoadOptions load;

  @Option(
      names = "--start",
      defaultValue = "1000",
      description = "First offered rate to probe, changes (rows)/s (default ${DEFAULT-VALUE}).")
  double start;

  @Option(
      names = "--probe",
      defaultValue = "10s",
      converter = DurationConverter.class,
      description = "Measured window of each search probe (default ${DEFAULT-VALUE}).")
  Duration probe;

  @Option(
      names = "--max-probes",
      defaultValue = "8",
      description = "Search probes at most, before the confirmation (default ${DEFAULT-VALUE}).")
  int maxProbes;

  @Option(
      names = "--max-p99",
      defaultValue = "1s",
      converter = DurationConverter.class,
      description =
          "A sustained rate's commit-to-eviction p99 is under this (default ${DEFAULT-VALUE}).")
  Duration maxP99;

  @Option(
      names = "--jit-warmup",
      defaultValue = "30s",
      converter = DurationConverter.class,
      description =
          "The unjudged load at --start before the first probe, while the JIT compiles Debezium,"
              + " Kafka and Jackson (default ${DEFAULT-VALUE}).")
  Duration jitWarmup;

  @Option(names = "--json", description = "End with one JSON object of every step and the ceiling.")
  boolean json;

  private final CompletableFuture<Throwable> failure = new CompletableFuture<>();
  private final PrintStream out = System.out;

  /** The 60 s confirmation and a shorter warm-up per step than the demo's defaults. */
  public static final class Defaults implements IDefaultValueProvider {
    @Override
    public String defaultValue(ArgSpec argSpec) {
      if (argSpec instanceof OptionSpec option) {
        return switch (option.longestName()) {
          case "--duration" -> "60s";
          case "--warmup" -> "5s";
          default -> null;
        };
      }
      return null;
    }
  }

  @Override
  public Integer call() throws Exception {
    long began = System.nanoTime();
    List<Map<String, Object>> steps = new ArrayList<>();
    Map<String, Object> confirmed = null;
    CeilingSearch search = new CeilingSearch(start, maxProbes);
    try (DemoServers servers = DemoServers.start(options, out)) {
      Settings settings = DemoRun.settings(servers, options, Map.of());
      try (DemoDatabase db = DemoRun.seededDatabase(servers, options, 64);
          Pipeline pipeline = DemoRun.startPipeline(settings, db, failure)) {
        LoadStep step =
            new LoadStep(settings, pipeline, db, new ProcessCpu(servers.processes()), failure, out);
        // The first load on fresh JVMs builds a backlog while they compile (with C2: see
        // --jit-warmup): a
        // probe that failed for that would cap the search below the start rate. So the start rate
        // runs once unjudged.
        out.printf("-- warming up at %.0f changes/s (not judged)%n", start);
        step.run(start, load.rowsPerTx, load.writers, options.seed, jitWarmup, Duration.ZERO);
        search(step, search, steps);
        if (search.highestSustained().isPresent()) {
          confirmed = confirm(step, search.highestSustained().getAsDouble(), steps);
        }
      }
    }
    if (failure.isDone()) {
      out.println("a stage failed: " + failure.join().getMessage());
    }
    Map<String, Object> summary = summary(steps, confirmed, search);
    summary.put("elapsed_s", (System.nanoTime() - began) / 1_000_000_000L);
    out.println("summary: " + DemoProgress.oneLine(summary));
    if (json) {
      summary.put("steps", steps);
      out.println(Json.mapper().writeValueAsString(summary));
    }
    return failure.isDone() ? Main.FAILED : 0;
  }

  /** Probes the rates {@code search} picks, adding each to {@code steps}. */
  private void search(LoadStep step, CeilingSearch search, List<Map<String, Object>> steps)
      throws Exception {
    for (OptionalDouble rate = search.next();
        rate.isPresent() && !failure.isDone();
        rate = search.next()) {
      out.printf("-- probe %d of at most %d%n", steps.size() + 1, maxProbes);
      Map<String, Object> result = judge(step, "probe", rate.getAsDouble(), probe);
      steps.add(result);
      search.record(rate.getAsDouble(), (Boolean) result.get("sustained"));
    }
  }

  /**
   * Runs {@code best} for the full duration, and 90 % of it if that is not sustained, adding each
   * to {@code steps}; returns the one sustained, or null.
   */
  private Map<String, Object> confirm(LoadStep step, double best, List<Map<String, Object>> steps)
      throws Exception {
    for (double rate : List.of(best, (double) Math.round(best * 0.9))) {
      if (failure.isDone()) {
        break;
      }
      out.printf("-- confirming %.0f changes/s for %ss%n", rate, options.duration.toSeconds());
      Map<String, Object> result = judge(step, "confirm", rate, options.duration);
      steps.add(result);
      if ((Boolean) result.get("sustained")) {
        return result;
      }
    }
    return null;
  }

  private Map<String, Object> judge(LoadStep step, String phase, double rate, Duration window)
      throws Exception {
    LoadStep.Outcome outcome =
        step.run(rate, load.rowsPerTx, load.writers, options.seed, options.warmup, window);
    List<String> shortfalls =
        CeilingSearch.shortfalls(
            rate, outcome.achievedRate(), outcome.p99Ms(), outcome.secondP50s(), maxP99.toMillis());
    if (failure.isDone()) {
      shortfalls = new ArrayList<>(shortfalls);
      shortfalls.add("a stage failed");
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("phase", phase);
    result.putAll(outcome.figures());
    result.put("lag_first_third_p50_ms", finite(CeilingSearch.firstThird(outcome.secondP50s())));
    result.put("lag_last_third_p50_ms", finite(CeilingSearch.lastThird(outcome.secondP50s())));
    result.put("sustained", shortfalls.isEmpty());
    result.put("shortfalls", shortfalls);
    out.printf(
        "%s %.0f changes/s: %s%n",
        phase,
        rate,
        shortfalls.isEmpty()
            ? "sustained"
            : "not sustained (" + String.join("; ", shortfalls) + ")");
    return result;
  }

  private Map<String, Object> summary(
      List<Map<String, Object>> steps, Map<String, Object> confirmed, CeilingSearch search) {
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("scenario", "ceiling");
    summary.put("rows_per_tx", load.rowsPerTx);
    summary.put("cores", Runtime.getRuntime().availableProcessors());
    summary.put("max_p99_ms", maxP99.toMillis());
    summary.put("probes", steps.stream().filter(s -> "probe".equals(s.get("phase"))).count());
    summary.put(
        "lowest_failed_rate",
        search.lowestFailed().isPresent() ? search.lowestFailed().getAsDouble() : null);
    summary.put("confirmed", confirmed != null);
    if (confirmed != null) {
      double rows = ((Number) confirmed.get("achieved_rate")).doubleValue();
      summary.put("ceiling_rate", confirmed.get("rate"));
      summary.put("ceiling_rows_per_s", Math.round(rows));
      summary.put("ceiling_transactions_per_s", Math.round(rows / load.rowsPerTx));
      summary.put("p99_ms", confirmed.get("p99_ms"));
      summary.put("rss_peak_mb", confirmed.get("rss_peak_mb"));
      summary.put("cpu_cores", confirmed.get("cpu_cores"));
    } else {
      summary.put("ceiling_rate", null);
      summary.put("ceiling_rows_per_s", null);
      summary.put("ceiling_transactions_per_s", null);
    }
    return summary;
  }

  private static Double finite(double value) {
    return Double.isNaN(value) ? null : value;
  }
}
