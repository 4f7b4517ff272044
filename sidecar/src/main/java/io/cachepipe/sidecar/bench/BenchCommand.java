package io.cachepipe.sidecar.bench;

import io.cachepipe.sidecar.demo.CeilingBenchmark;
import io.cachepipe.sidecar.demo.HotKeyBenchmark;
import io.cachepipe.sidecar.demo.LatencyBenchmark;
import io.cachepipe.sidecar.demo.StalenessBenchmark;
import io.cachepipe.sidecar.demo.WarmerBenchmark;
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
      StalenessBenchmark.class
    })
public final class BenchCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
