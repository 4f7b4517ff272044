package io.cachepipe.sidecar.logging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cachepipe.core.json.Json;
import io.cachepipe.sidecar.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code --log-format json}: one JSON object per line on stderr, credentials masked. */
class LogFormatTest {

  private static final Logger LOG = LoggerFactory.getLogger("io.cachepipe.test.LogFormatTest");

  @AfterEach
  void backToText() {
    LogFormat.TEXT.apply();
  }

  @Test
  void jsonWritesOneObjectPerLineWithLevelLoggerAndTheFormattedMessage() throws Exception {
    List<String> lines =
        stderrOf(
            () -> {
              LogFormat.JSON.apply();
              LOG.info("evicted {} keys of tag {}", 3, "user:42");
              LOG.warn(
                  "stage failed",
                  new IllegalStateException("cannot reach redis://app:S3cr3t-XYZ@r:6379"));
            });

    assertThat(lines).hasSize(2);
    JsonNode info = Json.mapper().readTree(lines.get(0));
    assertThat(info.get("level").asText()).isEqualTo("INFO");
    assertThat(info.get("loggerName").asText()).isEqualTo("io.cachepipe.test.LogFormatTest");
    assertThat(info.get("formattedMessage").asText()).isEqualTo("evicted 3 keys of tag user:42");
    assertThat(info.get("timestamp").asLong()).isPositive();
    JsonNode warn = Json.mapper().readTree(lines.get(1));
    assertThat(warn.get("throwable").toString())
        .contains("IllegalStateException")
        .contains("redis://app:********@r:6379");
    assertThat(String.join("\n", lines)).doesNotContain("S3cr3t");
  }

  @Test
  void theOptionSwitchesTheFormatBeforeTheCommandRuns() throws Exception {
    List<String> lines =
        stderrOf(
            () -> {
              Main.commandLine()
                  .setOut(new java.io.PrintWriter(java.io.Writer.nullWriter()))
                  .execute("--log-format", "json", "config", "--describe");
              LOG.info("after the option");
            });

    assertThat(lines).hasSize(1);
    assertThat(Json.mapper().readTree(lines.get(0)).get("formattedMessage").asText())
        .isEqualTo("after the option");
  }

  @Test
  void textIsTheDefault() throws Exception {
    List<String> lines = stderrOf(() -> LOG.info("plain line"));

    assertThat(lines).hasSize(1);
    assertThat(lines.get(0)).contains("INFO").endsWith("plain line").doesNotStartWith("{");
  }

  private static List<String> stderrOf(Runnable action) {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      action.run();
    } finally {
      System.setErr(original);
    }
    return captured.toString(StandardCharsets.UTF_8).lines().toList();
  }
}
