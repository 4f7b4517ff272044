package io.cachepipe.bench;

import io.cachepipe.core.json.Json;
import io.cachepipe.demo.DemoOptions;
import io.cachepipe.demo.DemoRun;
import io.cachepipe.sidecar.Main;
import io.cachepipe.sidecar.Stage;
import java.io.PrintStream;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cachepipe bench warmer}: the demo workload twice on fresh servers, with the warmer and
 * without, comparing the user stats hit ratio after the warm-up.
 */
@Command(
    name = "warmer",
    mixinStandardHelpOptions = true,
    description = {
      "Hit ratio of user stats reads under a steady write load, with the warmer on and off: the"
          + " demo workload runs twice, each on fresh servers, and the hit ratio after --warmup is"
          + " compared. Both runs are audited; any stale entry fails the benchmark."
    })
public final class WarmerBenchmark implements Callable<Integer> {

  @Mixin DemoOptions options;

  @Option(names = "--json", description = "End with one JSON object of both runs' figures.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    out.println("== run 1 of 2: warmer on");
    DemoRun.Report on = DemoRun.run(options, EnumSet.allOf(Stage.class), out);
    on.print(out, false);
    out.println("== run 2 of 2: warmer off");
    DemoRun.Report off = DemoRun.run(options, EnumSet.of(Stage.CDC, Stage.INVALIDATOR), out);
    off.print(out, false);
    out.printf(
        "steady hit ratio (after %ss): warmer on %s, warmer off %s%n",
        options.warmup.toSeconds(),
        on.summary().get("steady_hit_ratio"),
        off.summary().get("steady_hit_ratio"));
    if (json) {
      Map<String, Object> both = new LinkedHashMap<>();
      both.put("warmer_on", on.summary());
      both.put("warmer_off", off.summary());
      out.println(Json.mapper().writeValueAsString(both));
    }
    boolean clean =
        on.failure() == null && off.failure() == null && on.stale() == 0 && off.stale() == 0;
    return clean ? 0 : Main.FAILED;
  }
}
