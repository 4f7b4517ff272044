package io.cachepipe.sidecar.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.core.tag.TagRules;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 14's boundary faults, where real data meets the pipeline: rows too big for a Kafka record
 * and a tag rule that renders blank, each under the fault suite's load ({@link FaultScenario}),
 * each checked for 0 lost and 0 stale, with {@code /health/ready} sampled while it lasts. Each
 * prints one {@code FAULT-RESULT} line for {@code ReliabilityReport}.
 *
 * <p>The suite's tag rules are the example's plus {@code slug}: {@code {title}}, which renders
 * blank for a post titled '' or spaces.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BoundaryFaultIT {

  private static final Duration RECOVERY = Duration.ofSeconds(240);

  private static FaultServers servers;
  private static FaultSuite suite;

  @BeforeAll
  static void startServersAndSidecar() throws Exception {
    Path dir = FaultSuite.freshDirectory("boundary-fault-it");
    servers = FaultServers.start();
    Map<String, String> rules = new HashMap<>(TagRules.EXAMPLE_RULES);
    rules.put(TagRules.PREFIX + "slug.table", "public.posts");
    rules.put(TagRules.PREFIX + "slug.tag", "{title}");
    suite = new FaultSuite(servers, dir, rules);
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
  void aRowOf1Point6MegabytesIsInvalidatedAndCaptureGoesOn() throws Exception {
    oversizedRow("oversized-row-1.6MB", 31, 1_600_000);
  }

  @Test
  @Order(2)
  void aRowOf50MegabytesIsInvalidatedAndCaptureGoesOn() throws Exception {
    oversizedRow("oversized-row-50MB", 32, 50_000_000);
  }

  /**
   * Inserts a post of {@code bytes} of random hex text (TOASTed), then updates its view count: with
   * REPLICA IDENTITY FULL the update carries the whole body in its before image.
   */
  private void oversizedRow(String fault, int index, int bytes) throws Exception {
    try (FaultScenario s = new FaultScenario(suite, fault, index)) {
      s.begin();
      long pid = suite.sidecar.pid();
      double reducedBefore = suite.sidecar.metric("cachepipe_cdc_reduced_changes_total");
      long author = s.authors.get(0);
      long post = index * 10_000_000L + 5_000_000L;
      ReadinessSamples readiness = ReadinessSamples.start(suite.sidecar);
      s.faultStarts();
      s.sql(
          "INSERT INTO posts (id, author_id, title, body, view_count) SELECT "
              + post
              + ", "
              + author
              + ", 'oversized', string_agg(md5(random()::text), ''), 1"
              + " FROM generate_series(1, "
              + bytes / 32
              + ")");
      s.sql("UPDATE posts SET view_count = view_count + 41 WHERE id = " + post);
      s.faultEnded();
      s.expectEvicted(List.of("post:" + post));
      s.awaitRecovery(RECOVERY);
      await("both changes of the row published cut down")
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  suite.sidecar.metric("cachepipe_cdc_reduced_changes_total") >= reducedBefore + 2);
      readiness.close();

      Map<String, Object> extra = new LinkedHashMap<>();
      extra.put("row_bytes", bytes);
      extra.put(
          "reduced_changes",
          suite.sidecar.metric("cachepipe_cdc_reduced_changes_total") - reducedBefore);
      extra.put("ready_samples", readiness.figures());
      FaultResult result =
          s.finish(
              "a post of "
                  + bytes
                  + " bytes of random hex text inserted, then its view count updated (both"
                  + " images in one event), under load",
              extra);

      assertThat(suite.sidecar.pid()).as("the sidecar did not restart").isEqualTo(pid);
      assertThat(readiness.count(503) + readiness.count(-1))
          .as("readiness while the row passed: capture never stopped")
          .isZero();
      assertNothingLostNothingStale(result);
    }
  }

  @Test
  @Order(3)
  void aBlankTagIsDeadLetteredAndTheStreamThreadGoesOn() throws Exception {
    try (FaultScenario s = new FaultScenario(suite, "blank-tag", 33)) {
      s.begin();
      long pid = suite.sidecar.pid();
      double deadBefore =
          suite.sidecar.metric("cachepipe_dead_lettered_total", "stage=\"invalidator\"");
      ReadinessSamples readiness = ReadinessSamples.start(suite.sidecar);
      List<String> tags = new ArrayList<>();
      s.faultStarts();
      for (int i = 0; i < 10; i++) {
        long post = 33 * 10_000_000L + 5_000_000L + i;
        long author = s.authors.get(i % s.authors.size());
        s.sql(
            "INSERT INTO posts (id, author_id, title, view_count) VALUES ("
                + post
                + ", "
                + author
                + ", '"
                + (i % 2 == 0 ? "" : "   ")
                + "', 3)");
        tags.add("post:" + post);
      }
      s.faultEnded();
      s.expectEvicted(tags);
      s.awaitRecovery(RECOVERY);
      await("the blank-tag changes are dead-lettered")
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  suite.sidecar.metric("cachepipe_dead_lettered_total", "stage=\"invalidator\"")
                      >= deadBefore + 10);
      readiness.close();

      Map<String, Object> extra = new LinkedHashMap<>();
      extra.put("blank_tag_changes", 10);
      extra.put(
          "dead_lettered",
          suite.sidecar.metric("cachepipe_dead_lettered_total", "stage=\"invalidator\"")
              - deadBefore);
      extra.put("ready_samples", readiness.figures());
      FaultResult result =
          s.finish(
              "10 posts whose title renders the rule {title} blank ('' or spaces) inserted under"
                  + " load; their other tags must still be evicted",
              extra);

      assertThat(suite.sidecar.pid()).as("the sidecar did not restart").isEqualTo(pid);
      assertThat(readiness.count(503) + readiness.count(-1))
          .as("readiness while blank tags passed: the stream thread never died")
          .isZero();
      assertNothingLostNothingStale(result);
    }
  }

  private static void assertNothingLostNothingStale(FaultResult result) {
    suite.assertNothingLostNothingStale(result);
  }
}
