package io.cachepipe.bench;

import io.cachepipe.consumer.InvalidationsConsumer;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.json.Json;
import io.cachepipe.demo.DemoDatabase;
import io.cachepipe.demo.DemoOptions;
import io.cachepipe.demo.DemoProgress;
import io.cachepipe.demo.DemoRun;
import io.cachepipe.demo.DemoServers;
import io.cachepipe.sidecar.Main;
import io.cachepipe.sidecar.Pipeline;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cachepipe bench near-drop}: how long after its commit an in-process reader of the public
 * invalidations topic applies a change, which is when a near cache drops the entries of its tags.
 * One {@link LoadStep} of single-row updates runs at the offered rate while an {@link
 * InvalidationsConsumer} (the library the near cache uses, in a group of its own, from the topic's
 * end) records, for each invalidation, the time from its commit ({@code commit_ts_us}, PostgreSQL's
 * clock) to the listener call (this machine's clock: the same one). A coalesced record carries its
 * newest commit, so that is the change it is timed for.
 */
@Command(
    name = "near-drop",
    mixinStandardHelpOptions = true,
    description = {
      "Commit to in-process drop: --rate changes/s of single-row updates for --duration after"
          + " --warmup, and the time from each invalidation's commit to its delivery to an"
          + " in-process listener of the invalidations topic (the near cache's consumer). Prints"
          + " p50/p99/max; --json ends with one JSON object."
    })
public final class NearDropBenchmark implements Callable<Integer> {

  @Mixin DemoOptions options;

  @Option(
      names = "--rate",
      defaultValue = "2000",
      description = "Offered changes (rows) per second (default ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--json", description = "End with one JSON object of the figures.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    Map<String, Object> figures = new LinkedHashMap<>();
    try (DemoServers servers = DemoServers.start(options, out)) {
      Settings settings = DemoRun.settings(servers, options, Map.of());
      try (DemoDatabase db = DemoRun.seededDatabase(servers, options, 64)) {
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        try (Pipeline pipeline = DemoRun.startPipeline(settings, db, failure)) {
          Recorder drops = new Recorder(3_600_000_000L, 3);
          long measureFromMicros = (System.currentTimeMillis() + options.warmup.toMillis()) * 1_000;
          try (InvalidationsConsumer consumer =
              InvalidationsConsumer.builder()
                  .bootstrapServers(settings.get(Connections.KAFKA_BOOTSTRAP))
                  .groupId("bench-near-drop-" + UUID.randomUUID())
                  .topic(settings.get(Topics.INVALIDATIONS))
                  .startFromLatest()
                  .listener(
                      invalidation -> {
                        long committed = invalidation.commitMicros();
                        if (committed >= measureFromMicros) {
                          long now = System.currentTimeMillis() * 1_000;
                          drops.recordValue(Math.max(0, now - committed));
                        }
                      })
                  .start()) {
            LoadStep step =
                new LoadStep(
                    settings, pipeline, db, new ProcessCpu(servers.processes()), failure, out);
            Map<String, Object> eviction =
                step.run(rate, 1, 0, options.seed, options.warmup, options.duration).figures();
            Histogram total = drops.getIntervalHistogram();
            figures.put("rate", rate);
            figures.put("achieved_rate", eviction.get("achieved_rate"));
            figures.put("drops_measured", total.getTotalCount());
            figures.put("drop_p50_ms", ms(total.getValueAtPercentile(50)));
            figures.put("drop_p99_ms", ms(total.getValueAtPercentile(99)));
            figures.put("drop_max_ms", ms(total.getMaxValue()));
            figures.put("eviction_p50_ms", eviction.get("p50_ms"));
            figures.put("eviction_p99_ms", eviction.get("p99_ms"));
            figures.put("consumer", consumer.stats().toString());
          }
        }
        if (failure.isDone()) {
          out.println("a stage failed: " + failure.join().getMessage());
          return Main.FAILED;
        }
      }
    }
    out.println("result: " + DemoProgress.oneLine(figures));
    if (json) {
      figures.put("scenario", "near-drop");
      figures.put("cores", Runtime.getRuntime().availableProcessors());
      out.println(Json.mapper().writeValueAsString(figures));
    }
    return 0;
  }

  private static double ms(long micros) {
    return Math.round(micros / 10.0) / 100.0;
  }
}
