package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cachepipe.core.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The main job, as a newcomer runs it: {@code cachepipe demo} on its own embedded servers (a zonky
 * PostgreSQL, a Kafka broker in a child JVM, a redis-server child) ends with no stale entry.
 */
class DemoIT {

  @Test
  void demoOnEmbeddedServersEndsWithNoStaleEntry() throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int exit;
    try (PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
      System.setOut(out);
      exit =
          Main.commandLine()
              .execute(
                  "demo",
                  "--duration",
                  "8s",
                  "--json",
                  "--write-rate",
                  "100",
                  "--read-rate",
                  "300");
    } finally {
      System.setOut(original);
    }
    String output = captured.toString(StandardCharsets.UTF_8);
    original.println(output);
    List<String> lines = output.lines().toList();
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
    assertThat(summary.get("reads").asLong()).isPositive();
    assertThat(summary.get("audited").asInt()).as("cached entries were audited").isPositive();
    assertThat(summary.get("latency_ms").get("p50").asDouble()).isPositive();
    assertThat(exit).isZero();
  }
}
