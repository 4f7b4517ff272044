package io.cachepipe.sidecar.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.core.warm.WarmableEntry;
import io.cachepipe.invalidator.Invalidator;
import io.cachepipe.invalidator.InvalidatorConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 14's rows of the fault matrix where Redis answers or PostgreSQL's warm queries are the
 * fault: a registry key of the wrong type (an error no retry cures), Redis down for longer than the
 * eviction consumer's {@code max.poll.interval.ms}, and warm queries that hang. Each runs under the
 * load of {@link FaultScenario} against the suite's own servers and prints a {@code FAULT-RESULT}
 * line for {@link ReliabilityReport}; each must lose nothing and leave nothing stale.
 *
 * <p>The sidecar runs with consumer poll intervals of 6 s, a warm statement timeout of 2 s, and the
 * example's {@code user_stats} warm query made to hang (pg_sleep) while the table {@code warm_hang}
 * has a row.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisFaultIT {

  private static final Duration MAX_POLL_INTERVAL = Duration.ofSeconds(6);
  private static final Duration OUTAGE = MAX_POLL_INTERVAL.multipliedBy(2);
  private static final Duration RECOVERY = Duration.ofSeconds(240);

  /** The example's stats query, which sleeps for 10 minutes while {@code warm_hang} has a row. */
  private static final String HANGING_STATS_QUERY =
      WarmableEntry.USER_STATS_QUERY.replace(
          " FROM posts WHERE",
          " FROM posts, (SELECT pg_sleep(CASE WHEN EXISTS (SELECT 1 FROM warm_hang)"
              + " THEN 600 ELSE 0 END)) pause WHERE");

  private static final String REFUSED_BY_REDIS = "cachepipe_invalidator_refused_by_redis_total";

  private static FaultServers servers;
  private static FaultSuite suite;

  @BeforeAll
  static void startServersAndSidecar() throws Exception {
    Path dir = FaultSuite.freshDirectory("redis-fault-it");
    servers = FaultServers.start();
    Map<String, String> extra = new LinkedHashMap<>();
    extra.put(
        "kafka.eviction.consumer.max.poll.interval.ms",
        Long.toString(MAX_POLL_INTERVAL.toMillis()));
    extra.put("kafka.consumer.max.poll.interval.ms", Long.toString(MAX_POLL_INTERVAL.toMillis()));
    extra.put("cachepipe.warmer.statement.timeout.ms", "2000");
    extra.put(WarmableEntry.PREFIX + "user_stats.query", HANGING_STATS_QUERY);
    suite = new FaultSuite(servers, dir, extra);
    try (var c = suite.database.getConnection();
        var st = c.createStatement()) {
      st.execute("CREATE TABLE warm_hang (on_since timestamptz NOT NULL DEFAULT now())");
    }
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
  void aRegistryKeyOfTheWrongTypeIsDeadLetteredAndTheStepGoesOn() throws Exception {
    long badAuthor = 1199;
    long badPost = 119_000_001L;
    try (FaultScenario s = new FaultScenario(suite, "redis-wrong-type-registry", 11)) {
      s.begin();
      long pid = suite.sidecar.pid();
      String refusal = "Redis refused the eviction of tag user:" + badAuthor;
      long refusedBefore = suite.sidecar.logLinesContaining(refusal);
      double refusedMetricBefore = suite.sidecar.metric(REFUSED_BY_REDIS);
      suite.redis.set(CacheKeys.tagRegistry("user:" + badAuthor), "a string, not a sorted set");
      ReadinessSamples readiness = ReadinessSamples.start(suite.sidecar);
      s.faultStarts();
      s.sql(
          "INSERT INTO users (id, name, email) VALUES ("
              + badAuthor
              + ", 'wrong type', 'wrong.type@x')");
      s.sql(
          "INSERT INTO posts (id, author_id, title, view_count) VALUES ("
              + badPost
              + ", "
              + badAuthor
              + ", 'its author tag has a registry of the wrong type', 1)");
      s.expectEvicted(List.of("post:" + badPost));
      await("the refused invalidations are dead-lettered")
          .atMost(Duration.ofSeconds(60))
          .until(() -> suite.sidecar.logLinesContaining(refusal) > refusedBefore);
      double refusedMetric = suite.sidecar.metric(REFUSED_BY_REDIS) - refusedMetricBefore;
      suite.redis.del(CacheKeys.tagRegistry("user:" + badAuthor)); // an operator repairs it
      readiness.close();
      s.faultEnded();
      s.awaitRecovery(RECOVERY);

      Map<String, Object> extra = new LinkedHashMap<>();
      extra.put("refused_invalidations", suite.sidecar.logLinesContaining(refusal) - refusedBefore);
      extra.put("ready_samples", readiness.figures());
      FaultResult result =
          s.finish(
              "the registry of tag user:"
                  + badAuthor
                  + " replaced by a string (WRONGTYPE on every eviction of the tag), then that"
                  + " author and a post of theirs inserted under load",
              extra);

      assertThat(suite.sidecar.pid()).as("the sidecar did not restart").isEqualTo(pid);
      assertThat(refusedMetric).as(REFUSED_BY_REDIS + " counted the refusals").isPositive();
      assertThat(readiness.failingParts())
          .as("a refusal dead-lettered is no stall: readiness stayed 200")
          .isEmpty();
      assertThat(readiness.count(503) + readiness.count(-1)).isZero();
      suite.assertNothingLostNothingStale(result);
    }
  }

  @Test
  @Order(2)
  void redisDownLongerThanThePollIntervalKeepsTheGroupAndLosesNothing() throws Exception {
    String group = Invalidator.evictionGroup(InvalidatorConfig.from(suite.settings));
    try (FaultScenario s = new FaultScenario(suite, "redis-down-past-poll-interval", 12);
        Admin admin = Admin.create(Map.of("bootstrap.servers", servers.kafka.bootstrapServers()))) {
      s.begin();
      long pid = suite.sidecar.pid();
      ReadinessSamples readiness = ReadinessSamples.start(suite.sidecar);
      s.faultStarts();
      servers.redis.stopServer();
      int[] fewestMembers = {Integer.MAX_VALUE};
      await("the sidecar lives on, in its group, while Redis is away")
          .during(OUTAGE)
          .atMost(OUTAGE.plusSeconds(10))
          .pollInterval(Duration.ofSeconds(1))
          .until(
              () -> {
                fewestMembers[0] = Math.min(fewestMembers[0], members(admin, group));
                return suite.sidecar.isAlive();
              });
      servers.redis.restart();
      readiness.close();
      s.faultEnded();
      s.awaitRecovery(RECOVERY);
      awaitReadyAgain();

      Map<String, Object> extra = new LinkedHashMap<>();
      extra.put("ready_samples", readiness.figures());
      extra.put("max_poll_interval_ms", MAX_POLL_INTERVAL.toMillis());
      extra.put("eviction_group_members_min", fewestMembers[0]);
      FaultResult result =
          s.finish(
              "Redis stopped for "
                  + OUTAGE.toSeconds()
                  + " s, twice the eviction consumer's max.poll.interval.ms ("
                  + MAX_POLL_INTERVAL.toSeconds()
                  + " s),"
                  + " then an empty one started on the same port",
              extra);

      assertThat(suite.sidecar.pid()).as("the sidecar did not restart").isEqualTo(pid);
      assertThat(fewestMembers[0]).as("the eviction step stayed in its group").isEqualTo(1);
      assertThat(readiness.count(503)).as("readiness said so while Redis was away").isPositive();
      assertThat(readiness.failingParts())
          .as("readiness named Redis, and the invalidator retrying it")
          .containsKeys("redis", "invalidator");
      assertThat(readiness.failingParts().get("invalidator"))
          .anySatisfy(reason -> assertThat(reason).contains("retrying Redis for "));
      suite.assertNothingLostNothingStale(result);
    }
  }

  @Test
  @Order(3)
  void warmQueriesThatHangAreCancelledAndTheWarmerGoesOn() throws Exception {
    try (FaultScenario s = new FaultScenario(suite, "warm-query-hangs", 13)) {
      s.begin();
      long pid = suite.sidecar.pid();
      String skipped = "its query timed out";
      long skippedBefore = suite.sidecar.logLinesContaining(skipped);
      ReadinessSamples readiness = ReadinessSamples.start(suite.sidecar);
      s.faultStarts();
      s.sql("INSERT INTO warm_hang DEFAULT VALUES");
      await("warm queries hang and are cancelled, and the sidecar lives on")
          .during(OUTAGE)
          .atMost(OUTAGE.plusSeconds(10))
          .until(suite.sidecar::isAlive);
      s.sql("DELETE FROM warm_hang");
      readiness.close();
      s.faultEnded();
      long timedOut = suite.sidecar.logLinesContaining(skipped) - skippedBefore;
      s.awaitRecovery(RECOVERY);
      awaitReadyAgain();

      Map<String, Object> extra = new LinkedHashMap<>();
      extra.put("ready_samples", readiness.figures());
      extra.put("warm_statement_timeout_ms", 2000);
      extra.put("warm_queries_timed_out", timedOut);
      FaultResult result =
          s.finish(
              "every warm query sleeps 10 minutes (pg_sleep) for "
                  + OUTAGE.toSeconds()
                  + " s under load; the warmer's statement timeout is 2 s and its"
                  + " max.poll.interval.ms "
                  + MAX_POLL_INTERVAL.toSeconds()
                  + " s",
              extra);

      assertThat(timedOut).as("warm queries cancelled by the statement timeout").isPositive();
      assertThat(readiness.count(503))
          .as("readiness named the warmer's timed-out queries while they hung")
          .isPositive();
      assertThat(readiness.failingParts()).containsOnlyKeys("warmer");
      assertThat(readiness.failingParts().get("warmer"))
          .anySatisfy(
              reason ->
                  assertThat(reason)
                      .contains("warm queries of user_stats time out: # timeouts in the last"));
      assertThat(suite.sidecar.pid()).as("the sidecar did not restart").isEqualTo(pid);
      suite.assertNothingLostNothingStale(result);
    }
  }

  /** Readiness recovers after the fault: the troubles it reported are over. */
  private static void awaitReadyAgain() {
    await("ready again after the fault")
        .atMost(Duration.ofSeconds(90))
        .until(() -> suite.sidecar.status("/health/ready") == 200);
  }

  private static int members(Admin admin, String group) throws Exception {
    return admin
        .describeConsumerGroups(List.of(group))
        .describedGroups()
        .get(group)
        .get()
        .members()
        .size();
  }
}
