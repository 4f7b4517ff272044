package io.cachepipe.demo;

import io.cachepipe.sidecar.Main;
import io.cachepipe.sidecar.Stage;
import java.util.EnumSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cachepipe demo}: the whole pipeline on embedded servers, under a workload, audited. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the whole pipeline on real servers: an embedded PostgreSQL (wal_level=logical), a"
          + " single-node KRaft Kafka broker and a redis-server, each replaced by yours when its"
          + " option is given. Seeds users and posts, runs readers (through the cache-client) and"
          + " writers for --duration, printing progress each second; then lets the pipeline drain,"
          + " compares every cached user stats entry with PostgreSQL and prints a summary.",
      "Exits 1 if any cached entry is stale.",
      "With --pg-url the demo creates its tables (users, posts) in that database."
    })
public final class DemoCommand implements Callable<Integer> {

  @Mixin DemoOptions options;

  @Option(
      names = "--json",
      description = "Make the last line of output one JSON object with the summary.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    DemoRun.Report report = DemoRun.run(options, EnumSet.allOf(Stage.class), System.out);
    report.print(System.out, json);
    return report.stale() == 0 && report.failure() == null ? 0 : Main.FAILED;
  }
}
