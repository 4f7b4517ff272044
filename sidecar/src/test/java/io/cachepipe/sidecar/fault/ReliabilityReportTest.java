package io.cachepipe.sidecar.fault;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReliabilityReportTest {

  @Test
  void aResultLineRoundTripsThroughTheFlatJsonReader() {
    FaultResult result =
        new FaultResult(
            "redis-down-10s",
            "Redis stopped | \"quoted\"",
            100,
            2468,
            0,
            3,
            11488,
            0,
            Map.of("backlog_at_restart", 3442));

    Map<String, Object> parsed =
        new ReliabilityReport.FlatJson(result.line().substring(FaultResult.PREFIX.length()))
            .object();

    assertThat(parsed)
        .containsEntry("fault", "redis-down-10s")
        .containsEntry("action", "Redis stopped | \"quoted\"")
        .containsEntry("load_per_s", 100.0)
        .containsEntry("committed", 2468L)
        .containsEntry("recovery_ms", 11488L)
        .containsEntry("backlog_at_restart", 3442L);
  }

  @Test
  void theReportHasOneRowPerFaultLineOfTheFailsafeOutput(@TempDir Path dir) throws Exception {
    Path reports = Files.createDirectories(dir.resolve("failsafe-reports"));
    Files.writeString(
        reports.resolve("io.cachepipe.sidecar.fault.FaultIT-output.txt"),
        "noise\n"
            + new FaultResult(
                    "kafka-down-10s", "broker | stopped", 100, 4276, 0, 0, 5780, 0, Map.of())
                .line()
            + "\nmore noise\n");
    Files.writeString(
        reports.resolve("TEST-io.cachepipe.sidecar.fault.FaultIT.xml"),
        "<?xml version=\"1.0\"?><testsuite name=\"FaultIT\" time=\"296.4\" tests=\"7\">");
    Files.writeString(
        reports.resolve("io.cachepipe.sidecar.fault.SlotLossIT-output.txt"),
        new FaultResult("slot-dropped", "slot dropped", 100, 1200, 0, 3, 9000, 0, Map.of()).line()
            + "\n");
    Files.writeString(
        reports.resolve("TEST-io.cachepipe.sidecar.fault.SlotLossIT.xml"),
        "<?xml version=\"1.0\"?><testsuite name=\"SlotLossIT\" time=\"33.3\" tests=\"2\">");
    // Not a fault test: no result line, so neither its time nor its name counts.
    Files.writeString(reports.resolve("io.cachepipe.sidecar.PipelineIT-output.txt"), "noise\n");
    Files.writeString(
        reports.resolve("TEST-io.cachepipe.sidecar.PipelineIT.xml"),
        "<?xml version=\"1.0\"?><testsuite name=\"PipelineIT\" time=\"50.0\" tests=\"8\">");
    Path output = dir.resolve("reliability.md");

    ReliabilityReport.main(new String[] {reports.toString(), output.toString()});

    String md = Files.readString(output);
    assertThat(md)
        .contains("| `kafka-down-10s` | broker \\| stopped | 100 | 4,276 | 0 | 0 | 5.8 s | 0 |")
        .contains("| `slot-dropped` | slot dropped | 100 | 1,200 | 0 | 3 | 9.0 s | 0 |")
        .contains("the fault suite (`FaultIT`, `SlotLossIT`; sidecar module)")
        .contains("the suite ran in 329.7 s")
        .doesNotContain("PipelineIT")
        .contains(ReliabilityReport.COMMAND);
  }
}
