package io.cachepipe.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cachepipe.core.json.Json;
import io.cachepipe.sidecar.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The main job, as a newcomer runs it: {@code cachepipe demo} on its own embedded servers (a zonky
 * PostgreSQL, a Kafka broker in a child JVM, a redis-server child) ends with no stale entry.
 */
class DemoIT {

  @Test
  void demoOnEmbeddedServersEndsWithNoStaleEntry() throws Exception {
    Run run = demo("8s", "3s");
    int exit = run.exit();
    List<String> lines = run.lines();
    assertThat(lines).anyMatch(l -> l.startsWith("PostgreSQL  jdbc:postgresql://127.0.0.1:"));
    assertThat(lines).anyMatch(l -> l.startsWith("Kafka       127.0.0.1:"));
    assertThat(lines).anyMatch(l -> l.startsWith("Redis       redis://127.0.0.1:"));
    assertThat(lines).anyMatch(l -> l.matches("Status      http://127\\.0\\.0\\.1:\\d+/"));
    assertThat(lines.stream().filter(l -> l.startsWith("[")).count())
        .as("about one progress line a second")
        .isGreaterThanOrEqualTo(6);

    JsonNode summary = Json.mapper().readTree(lines.get(lines.size() - 1));
    assertThat(summary.get("stale").asInt()).isZero();
    assertThat(summary.get("changes").asLong()).isPositive();
    assertThat(summary.get("evictions").asLong()).isPositive();
    long atCapture = summary.get("keys_deleted_at_capture").asLong();
    assertThat(atCapture).as("entries the eviction at capture deleted").isPositive();
    assertThat(summary.get("keys_deleted").asLong())
        .as("entries deleted by either evictor")
        .isGreaterThanOrEqualTo(atCapture);
    assertThat(summary.get("reads").asLong()).isPositive();
    assertThat(summary.get("audited").asInt()).as("cached entries were audited").isPositive();
    assertThat(summary.get("latency_ms").get("p50").asDouble()).isPositive();
    assertThat(summary.get("warmup_s").asDouble()).isEqualTo(3.0);
    long all = summary.get("latency_ms").get("samples").asLong();
    long steady = summary.get("steady_latency_ms").get("samples").asLong();
    assertThat(steady)
        .as("evictions after the warm-up: some, not all (%d in the whole run)", all)
        .isPositive()
        .isLessThan(all);
    assertThat(summary.get("steady_latency_ms").get("p50").asDouble()).isPositive();
    assertThat(lines)
        .as("the summary says which figures leave the warm-up out")
        .anyMatch(l -> l.contains("steady_latency_ms leave out its first 3.0 s"));
    assertThat(run.log())
        .as("no warning the user did not cause, from start to close")
        .doesNotContain("Processing exception handler is not enabled")
        .doesNotContain("Connection is already closed");
    assertThat(exit).isZero();
  }

  /**
   * A run no longer than its warm-up has no steady part: its steady figures are null, never zeros
   * that read as a 0 ms latency or the whole run's hit ratio.
   */
  @Test
  void aRunShorterThanItsWarmupHasNoSteadyFigures() throws Exception {
    Run run = demo("2s", "30s");

    JsonNode summary = Json.mapper().readTree(run.lines().get(run.lines().size() - 1));
    assertThat(summary.get("latency_ms").get("samples").asLong()).isPositive();
    assertThat(summary.get("steady_latency_ms").isNull()).as("steady_latency_ms").isTrue();
    assertThat(summary.get("steady_hit_ratio").isNull()).as("steady_hit_ratio").isTrue();
    assertThat(run.lines())
        .anyMatch(l -> l.contains("not longer than its warm-up (30.0 s), so it has no steady"));
    assertThat(run.exit()).isZero();
  }

  private record Run(int exit, List<String> lines, String log) {}

  /** {@code --near-cache}: the readers' hits come from memory too, and nothing is stale. */
  @Test
  void withTheNearCacheReadersHitInProcess() throws Exception {
    Run run = demo("8s", "3s", "--near-cache");

    JsonNode summary = Json.mapper().readTree(run.lines().get(run.lines().size() - 1));
    assertThat(summary.get("stale").asInt()).isZero();
    JsonNode near = summary.get("near_cache");
    assertThat(near).as("near_cache in %s", summary).isNotNull();
    assertThat(near.get("hits").asLong()).as("reads served in process").isPositive();
    assertThat(summary.get("reads_per_s").asDouble()).isPositive();
    assertThat(run.exit()).isZero();
  }

  private static Run demo(String duration, String warmup, String... more) {
    PrintStream original = System.out;
    PrintStream originalErr = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    ByteArrayOutputStream capturedErr = new ByteArrayOutputStream();
    int exit;
    try (PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(capturedErr, true, StandardCharsets.UTF_8)) {
      System.setOut(out);
      System.setErr(err); // the log (Logback's console appender writes to System.err as it is)
      exit =
          Main.commandLine()
              .execute(
                  Stream.concat(
                          Stream.of(
                              "demo",
                              "--duration",
                              duration,
                              "--json",
                              "--write-rate",
                              "100",
                              "--read-rate",
                              "300",
                              "--warmup",
                              warmup),
                          Stream.of(more))
                      .toArray(String[]::new));
    } finally {
      System.setOut(original);
      System.setErr(originalErr);
    }
    String output = captured.toString(StandardCharsets.UTF_8);
    String log = capturedErr.toString(StandardCharsets.UTF_8);
    original.println(output);
    originalErr.println(log);
    return new Run(exit, output.lines().toList(), log);
  }
}
