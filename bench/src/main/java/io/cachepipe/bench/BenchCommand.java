package io.cachepipe.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code cachepipe bench}: benchmarks on real servers; numbers come from here, not from tests. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description =
        "Benchmarks on real servers (embedded by default). Each prints its figures; --json ends with one JSON object.",
    subcommands = {
      LatencyBenchmark.class,
      EvictionCostBenchmark.class,
      HotKeyBenchmark.class,
      WarmerBenchmark.class,
      CeilingBenchmark.class,
      StalenessBenchmark.class,
      NearDropBenchmark.class
    })
public final class BenchCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
