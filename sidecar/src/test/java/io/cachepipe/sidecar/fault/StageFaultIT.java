package io.cachepipe.sidecar.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.invalidator.InvalidatorConfig;
import io.cachepipe.sidecar.SidecarProcess;
import io.cachepipe.warmer.WarmerConfig;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 6's fault 2: the stages run apart, each in a JVM of its own ({@code cachepipe run --stages
 * cdc}, {@code invalidator}, {@code warmer}), and each in turn is killed with SIGKILL under a
 * steady write load while the other two run on, then started again. As in {@link FaultIT}, every
 * change committed before, during and after the kill must be invalidated and no cached entry may be
 * stale; each stage prints one {@code FAULT-RESULT} line.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StageFaultIT {

  private static final List<String> STAGES = List.of("cdc", "invalidator", "warmer");
  private static final int WRITES_WHILE_DEAD = 200;
  private static final Duration RECOVERY = Duration.ofSeconds(120);

  private static FaultServers servers;
  private static FaultSuite suite;

  @BeforeAll
  static void startServersAndStages() throws Exception {
    servers = FaultServers.start();
    suite = new FaultSuite(servers, FaultSuite.freshDirectory("stage-fault-it"), STAGES);
    suite.ensureSidecarRuns();
  }

  @AfterAll
  static void stopEverything() {
    if (suite != null) {
      suite.close();
    }
    if (servers != null) {
      servers.close();
    }
  }

  @Test
  @Order(1)
  void cdcStageKilledAloneLosesNoChange() throws Exception {
    stageKilledAndRestarted("cdc", 1);
  }

  @Test
  @Order(2)
  void invalidatorStageKilledAloneLosesNoChange() throws Exception {
    stageKilledAndRestarted("invalidator", 2);
  }

  @Test
  @Order(3)
  void warmerStageKilledAloneLosesNoChange() throws Exception {
    stageKilledAndRestarted("warmer", 3);
  }

  /**
   * Kills {@code stage}'s process with SIGKILL, lets {@value #WRITES_WHILE_DEAD} writes commit
   * while it is dead, starts it again, and audits; the other stages' processes must live on
   * untouched.
   */
  private static void stageKilledAndRestarted(String stage, int index) throws Exception {
    SidecarProcess process = suite.stage(stage);
    try (FaultScenario s = new FaultScenario(suite, stage + "-kill-9", index)) {
      s.begin();
      Map<String, Long> others = otherPids(stage);
      long killedPid = process.pid();
      s.faultStarts();
      process.kill();
      int atKill = s.load.committed().size();
      await("writes commit while the " + stage + " stage is dead")
          .atMost(Duration.ofSeconds(60))
          .until(() -> s.load.committed().size() >= atKill + WRITES_WHILE_DEAD);
      long lagAtRestart = suite.lag();
      Map.Entry<String, String> input = input(stage);
      Map<TopicPartition, Long> endAtRestart =
          input == null ? Map.of() : suite.endOffsets(input.getValue());
      process.start();
      s.faultEnded();
      s.awaitRecovery(RECOVERY);
      process.awaitReady(FaultSuite.STARTUP);

      Map<String, Object> extra = new LinkedHashMap<>();
      extra.put("killed_pid", killedPid);
      extra.put("consumer_lag_at_restart", lagAtRestart);
      if (input != null) {
        await("the restarted " + stage + " stage consumed what was written while it was dead")
            .atMost(RECOVERY)
            .pollInterval(Duration.ofMillis(100))
            .until(() -> consumedUpTo(input.getKey(), endAtRestart));
        extra.put("input_backlog_consumed_ms", s.millisSinceFaultEnded());
      }
      FaultResult result =
          s.finish(
              "kill -9 (SIGKILL) of the "
                  + stage
                  + " stage's JVM (run --stages "
                  + stage
                  + "; the other stages run on in JVMs of their own), "
                  + WRITES_WHILE_DEAD
                  + " writes committed while it is dead, then started again",
              extra);

      assertThat(process.pid()).as("the %s stage was started again", stage).isNotEqualTo(killedPid);
      assertThat(otherPids(stage)).as("the other stages lived on").isEqualTo(others);
      for (String each : STAGES) {
        assertThat(suite.stage(each).isAlive())
            .as("the %s stage runs; see %s", each, suite.stage(each).log())
            .isTrue();
      }
      assertThat(result.lost()).as("committed writes never invalidated").isZero();
      assertThat(result.staleAfter()).as("stale entries after recovery").isZero();
      assertThat(result.committed()).as("writes committed").isGreaterThan(WRITES_WHILE_DEAD);
    }
  }

  /**
   * The consumer group of {@code stage} and the topic it reads: its input, whose records written
   * while it was dead it must consume once restarted; null for the cdc stage, which reads the
   * replication slot.
   */
  private static Map.Entry<String, String> input(String stage) {
    return switch (stage) {
      case "invalidator" ->
          Map.entry(InvalidatorConfig.from(suite.settings).applicationId(), suite.topics.changes());
      case "warmer" ->
          Map.entry(suite.settings.get(WarmerConfig.GROUP_ID), suite.topics.evictions());
      default -> null;
    };
  }

  /** Whether {@code group} has committed at least {@code ends} in every partition. */
  private static boolean consumedUpTo(String group, Map<TopicPartition, Long> ends)
      throws Exception {
    Map<TopicPartition, OffsetAndMetadata> committed = suite.committedOffsets(group);
    return ends.entrySet().stream()
        .allMatch(
            e ->
                committed.get(e.getKey()) != null
                    && committed.get(e.getKey()).offset() >= e.getValue());
  }

  private static Map<String, Long> otherPids(String stage) {
    Map<String, Long> pids = new LinkedHashMap<>();
    for (String other : STAGES) {
      if (!other.equals(stage)) {
        pids.put(other, suite.stage(other).pid());
      }
    }
    return pids;
  }
}
