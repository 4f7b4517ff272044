package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cachepipe.core.json.Json;
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
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The latency benchmark's harness works end to end on the shared test servers: its progress lines,
 * its JSON figures and its plot. This checks the harness, not the numbers: those come from running
 * it on a quiet machine (docs/benchmarks.md).
 */
class BenchIT {

  @Test
  void latencyBenchmarkPrintsProgressAndEndsWithItsFiguresAsJson(@TempDir Path dir)
      throws Exception {
    Database db = TestServers.postgres().createDatabase("bench_it");
    TestServers.redis().flushAll();
    Path svg = dir.resolve("latency.svg");
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int exit;
    try (PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
      System.setOut(out);
      exit =
          Main.commandLine()
              .execute(
                  "bench",
                  "latency",
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
                  "--rate",
                  "100",
                  "--duration",
                  "3s",
                  "--warmup",
                  "1s",
                  "--svg",
                  svg.toString(),
                  "--json");
    } finally {
      System.setOut(original);
      dropSlotsOf(db); // the benchmark used the default slot name, which is server-wide
    }
    String output = captured.toString(StandardCharsets.UTF_8);
    original.println(output);
    List<String> lines = output.lines().toList();
    assertThat(lines.stream().filter(l -> l.matches("\\[\\s*\\d+s\\] rows=\\d+ latency .*")))
        .as("a progress line a second")
        .hasSizeGreaterThanOrEqualTo(2);

    JsonNode summary = Json.mapper().readTree(lines.get(lines.size() - 1));
    assertThat(summary.get("scenario").asText()).isEqualTo("latency");
    assertThat(summary.get("achieved_rate").asDouble()).isBetween(50.0, 150.0);
    assertThat(summary.get("changes_measured").asLong()).isPositive();
    double p50 = summary.get("p50_ms").asDouble();
    double p99 = summary.get("p99_ms").asDouble();
    assertThat(p50).isPositive().isLessThanOrEqualTo(p99);
    assertThat(p99).isLessThanOrEqualTo(summary.get("p999_ms").asDouble());
    assertThat(summary.get("p999_ms").asDouble())
        .isLessThanOrEqualTo(summary.get("max_ms").asDouble());
    assertThat(summary.get("cpu_cores").has("sidecar")).isTrue();
    assertThat(Files.readString(svg)).startsWith("<svg").contains("polyline").endsWith("</svg>\n");
    assertThat(exit).isZero();
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
