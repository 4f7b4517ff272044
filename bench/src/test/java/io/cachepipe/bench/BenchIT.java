package io.cachepipe.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.cachepipe.core.json.Json;
import io.cachepipe.sidecar.Main;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmarks' harness works end to end on the shared test servers: progress lines, JSON figures
 * and the latency plot, with tiny durations. This checks the harness, not the numbers: those come
 * from running it on a quiet machine (docs/benchmarks.md).
 */
class BenchIT {

  @Test
  void latencyBenchmarkPrintsProgressAndEndsWithItsFiguresAsJson(@TempDir Path dir)
      throws Exception {
    Path svg = dir.resolve("latency.svg");
    Bench run =
        bench(
            dir,
            "bench_it",
            "latency",
            "--rate",
            "100",
            "--duration",
            "3s",
            "--warmup",
            "1s",
            "--svg",
            svg.toString());

    assertThat(
            run.lines().stream()
                .filter(l -> l.matches("\\[\\s*\\d+s\\] rows=\\d+ first eviction .*")))
        .as("a progress line a second")
        .hasSizeGreaterThanOrEqualTo(2);
    JsonNode summary = run.json();
    assertThat(summary.get("scenario").asText()).isEqualTo("latency");
    assertThat(summary.get("achieved_rate").asDouble()).isBetween(50.0, 150.0);
    assertSaneStep(summary);
    // The eviction at capture is on by default and measured beside the one through Kafka.
    assertThat(summary.get("eager_eviction").asText()).isEqualTo("on");
    assertThat(summary.get("first_eviction_changes").asLong()).isPositive();
    assertThat(summary.get("first_eviction_p50_ms").asDouble())
        .isPositive()
        .isLessThanOrEqualTo(summary.get("first_eviction_p99_ms").asDouble());
    assertThat(summary.get("eager_missed_changes").asLong()).isZero();
    // The writers run in a process of their own, so the sidecar's CPU is the stages' alone.
    assertThat(summary.get("cpu_cores").has("writers")).isTrue();
    assertThat(Files.readString(svg)).startsWith("<svg").contains("polyline").endsWith("</svg>\n");
    assertThat(run.exit()).isZero();
  }

  @Test
  void ceilingBenchmarkReportsEveryStepAndTheCeilingItConfirmed(@TempDir Path dir)
      throws Exception {
    Bench run =
        bench(
            dir,
            "bench_ceiling_it",
            "ceiling",
            "--start",
            "50",
            "--max-probes",
            "2",
            "--probe",
            "2s",
            "--duration",
            "3s",
            "--warmup",
            "1s",
            "--jit-warmup",
            "1s",
            "--max-p99",
            "60s");

    JsonNode summary = run.json();
    assertThat(summary.get("scenario").asText()).isEqualTo("ceiling");
    assertThat(summary.get("rows_per_tx").asInt()).isEqualTo(1);
    assertThat(summary.get("max_p99_ms").asLong()).isEqualTo(60_000);
    List<JsonNode> steps = new ArrayList<>();
    summary.get("steps").forEach(steps::add);
    List<JsonNode> probes =
        steps.stream().filter(s -> s.get("phase").asText().equals("probe")).toList();
    assertThat(probes).hasSize(summary.get("probes").asInt()).hasSizeBetween(1, 2);
    assertThat(probes.get(0).get("rate").asDouble()).isEqualTo(50.0);
    for (JsonNode step : steps) {
      assertSaneStep(step);
      assertThat(step.get("sustained").asBoolean())
          .as("sustained exactly when nothing fell short: %s", step)
          .isEqualTo(step.get("shortfalls").isEmpty());
    }
    boolean confirmed = summary.get("confirmed").asBoolean();
    assertThat(confirmed)
        .isEqualTo(
            steps.stream()
                .anyMatch(
                    s ->
                        s.get("phase").asText().equals("confirm")
                            && s.get("sustained").asBoolean()));
    if (confirmed) {
      JsonNode last = steps.get(steps.size() - 1);
      assertThat(summary.get("ceiling_rate").asDouble()).isEqualTo(last.get("rate").asDouble());
      assertThat(summary.get("ceiling_rows_per_s").asLong())
          .isEqualTo(last.get("achieved_rate").asLong())
          .isEqualTo(summary.get("ceiling_transactions_per_s").asLong());
      assertThat(summary.get("rss_peak_mb").asDouble()).isPositive();
    } else {
      assertThat(summary.get("ceiling_rate").isNull()).isTrue();
    }
    assertThat(run.exit()).isZero();
  }

  @Test
  void stalenessBenchmarkChecksTheReadsOfBothCaches(@TempDir Path dir) throws Exception {
    Bench run =
        bench(
            dir,
            "bench_staleness_it",
            "staleness",
            "--duration",
            "3s",
            "--warmup",
            "1s",
            "--write-rate",
            "50",
            "--read-rate",
            "100");

    List<String> progress =
        run.lines().stream()
            .filter(l -> l.matches("\\[\\s*\\d+s\\] writes=\\d+ reads=.*"))
            .toList();
    assertThat(progress).as("the TTL-only run's progress").anyMatch(l -> !l.contains("evictions="));
    assertThat(progress).as("the cachepipe run's progress").anyMatch(l -> l.contains("evictions="));
    JsonNode summary = run.json();
    assertThat(summary.get("scenario").asText()).isEqualTo("staleness");
    assertThat(summary.get("ttl_s").asLong()).isEqualTo(300);
    assertThat(summary.get("grace_ms").asLong()).isEqualTo(1000);
    for (String mode : List.of("ttl_only", "cachepipe")) {
      JsonNode figures = summary.get(mode);
      long reads = figures.get("reads").asLong();
      long stale = figures.get("stale").asLong();
      assertThat(reads).as(mode).isPositive();
      assertThat(stale).as(mode).isBetween(0L, reads);
      assertThat(figures.get("stale_per_10k").asDouble())
          .as(mode)
          .isCloseTo(stale * 10_000.0 / reads, within(0.05));
      long staleAfterGrace = figures.get("stale_after_grace").asLong();
      assertThat(staleAfterGrace).as(mode).isBetween(0L, stale);
      assertThat(figures.get("stale_after_grace_per_10k").asDouble())
          .as(mode)
          .isCloseTo(staleAfterGrace * 10_000.0 / reads, within(0.05));
      assertThat(figures.get("hit_ratio").asDouble()).as(mode).isBetween(0.0, 1.0);
      assertThat(figures.get("writes").asLong()).as(mode).isPositive();
    }
    assertThat(run.exit()).isZero();
  }

  /** What one step of a load benchmark reports, whatever the machine's speed. */
  private static void assertSaneStep(JsonNode step) {
    assertThat(step.get("changes_measured").asLong()).isPositive();
    double p50 = step.get("p50_ms").asDouble();
    double p99 = step.get("p99_ms").asDouble();
    assertThat(p50).isPositive().isLessThanOrEqualTo(p99);
    assertThat(p99).isLessThanOrEqualTo(step.get("p999_ms").asDouble());
    assertThat(step.get("p999_ms").asDouble()).isLessThanOrEqualTo(step.get("max_ms").asDouble());
    assertThat(step.get("cpu_cores").has("sidecar")).isTrue();
    assertThat(step.get("rss_peak_mb").asDouble()).isPositive();
  }

  /** What a benchmark run printed, and how it exited. */
  private record Bench(int exit, List<String> lines) {

    JsonNode json() throws Exception {
      return Json.mapper().readTree(lines.get(lines.size() - 1));
    }
  }

  /**
   * Runs {@code bench SCENARIO} on the shared test servers (a fresh database, an empty Redis, 20
   * authors, pipeline names of its own in a config file in {@code dir}) with {@code --json},
   * capturing what it prints.
   */
  private static Bench bench(Path dir, String database, String scenario, String... args)
      throws Exception {
    Database db = TestServers.postgres().createDatabase(database);
    // Topics, offsets, the slot and consumer groups of its own: the Kafka broker is shared.
    Path config =
        PipelineTestSettings.writeConfig(
            dir, database, PipelineTestSettings.values(db, database), Map.of());
    TestServers.redis().flushAll();
    List<String> command =
        new ArrayList<>(
            List.of(
                "bench",
                scenario,
                "--pg-url",
                db.jdbcUrl(),
                "--pg-user",
                db.user(),
                "--pg-password",
                db.password(),
                "--kafka",
                TestServers.kafka().bootstrapServers(),
                "--redis",
                TestServers.redis().uri(),
                "--users",
                "20",
                "--config",
                config.toString(),
                "--json"));
    command.addAll(List.of(args));
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int exit;
    try (PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
      System.setOut(out);
      exit = Main.commandLine().execute(command.toArray(String[]::new));
    } finally {
      System.setOut(original);
      dropSlotsOf(db); // the benchmark used the default slot name, which is server-wide
    }
    String output = captured.toString(StandardCharsets.UTF_8);
    original.println(output);
    return new Bench(exit, output.lines().toList());
  }

  private static void dropSlotsOf(Database db) throws Exception {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute(
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
              + " WHERE database = current_database() AND NOT active");
    }
  }
}
