package io.cachepipe.sidecar.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.client.CacheClient;
import io.cachepipe.core.kafka.DeadLetters;
import io.cachepipe.invalidator.Invalidator;
import io.cachepipe.invalidator.InvalidatorConfig;
import io.cachepipe.testing.LatencyProbe;
import io.cachepipe.testing.TopicRecords;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 6's fault-injection suite: each fault under a steady write load against real servers that
 * run as separate processes (PostgreSQL, a Kafka broker JVM, Redis, and {@code cachepipe run} in a
 * JVM of its own), then recovery, then the audit. Every change committed before, during and after
 * the fault must be invalidated ({@code lost} 0) and no cached entry may be stale ({@code
 * stale_after} 0). Each test prints one {@code FAULT-RESULT {json}} line; {@code ReliabilityReport}
 * makes {@code docs/reliability.md} from them.
 *
 * <p>The servers are the suite's own: tests stop and restart them. See {@link FaultScenario} for
 * the load, the readers and how the figures are taken.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultIT {

  /** Rows of the one big transaction, seeded before the sidecar's slot exists. */
  private static final int BIG_TRANSACTION_ROWS = 100_000;

  private static final long BIG_FIRST_POST = 900_000_001L;
  private static final List<Long> BIG_AUTHORS = List.of(9001L, 9002L, 9003L, 9004L, 9005L);
  private static final Duration OUTAGE = Duration.ofSeconds(10);
  private static final Duration RECOVERY = Duration.ofSeconds(240);

  private static FaultServers servers;
  private static FaultSuite suite;

  @BeforeAll
  static void startServersAndSidecar() throws Exception {
    Path dir = FaultSuite.freshDirectory("fault-it");
    servers = FaultServers.start();
    suite = new FaultSuite(servers, dir);
    seedBigTransactionRows();
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
  void sidecarKilledWithSigkillMidLoadLosesNoChange() throws Exception {
    try (FaultScenario s = new FaultScenario(suite, "sidecar-kill-9", 1)) {
      s.begin();
      long killedPid = suite.sidecar.pid();
      s.faultStarts();
      suite.sidecar.kill();
      int atKill = s.load.committed().size();
      await("writes commit while the sidecar is dead")
          .atMost(Duration.ofSeconds(60))
          .until(() -> s.load.committed().size() >= atKill + 200);
      suite.sidecar.start();
      s.faultEnded();
      s.awaitRecovery(RECOVERY);
      suite.sidecar.awaitReady(FaultSuite.STARTUP);

      FaultResult result =
          s.finish(
              "kill -9 (SIGKILL) of the sidecar JVM running all stages, 200 writes committed while"
                  + " it is dead, then started again",
              Map.of("killed_pid", killedPid));

      assertThat(suite.sidecar.pid()).isNotEqualTo(killedPid);
      assertNothingLostNothingStale(result);
    }
  }

  @Test
  @Order(2)
  void redisDownForTenSecondsHoldsTheEvictionStepThenTheBacklogDrains() throws Exception {
    String group = Invalidator.evictionGroup(InvalidatorConfig.from(suite.settings));
    String invalidations = suite.topics.invalidations();
    try (FaultScenario s = new FaultScenario(suite, "redis-down-10s", 2)) {
      s.begin();
      long pid = suite.sidecar.pid();
      long retriesBefore = suite.sidecar.logLinesContaining("failed, retrying in");
      s.faultStarts();
      long stopped = System.nanoTime();
      servers.redis.stopServer();

      // The batch in flight when Redis went may still commit; then the offsets must stand still
      // while invalidations pile up behind them.
      Map<TopicPartition, OffsetAndMetadata> held = heldOffsets(group);
      await("a backlog of unapplied invalidations")
          .atMost(Duration.ofSeconds(30))
          .until(() -> suite.lag(group, invalidations) > 0);
      long remaining = OUTAGE.toNanos() - (System.nanoTime() - stopped);
      Duration hold = Duration.ofNanos(Math.max(remaining, Duration.ofSeconds(3).toNanos()));
      await("the eviction step commits nothing while Redis is down")
          .during(hold)
          .atMost(hold.plusSeconds(10))
          .until(
              () ->
                  suite.sidecar.isAlive()
                      && suite.committedOffsets(group).equals(held)
                      && suite.lag(group, invalidations) > 0);
      long backlog = suite.lag(group, invalidations);

      servers.redis.restart();
      s.faultEnded();
      // Entries filled now, by a client that connects at once, from a database ahead of Redis'
      // evictions: the backlog must evict them.
      int filledAfterRestart;
      try (CacheClient reader = CacheClient.create(servers.redis.uri())) {
        filledAfterRestart = s.cacheEveryAuthor(reader);
      }
      long backlogAfterFills = suite.lag(group, invalidations);
      s.awaitRecovery(RECOVERY);

      long retries = suite.sidecar.logLinesContaining("failed, retrying in") - retriesBefore;
      Map<String, Object> extra = new LinkedHashMap<>();
      extra.put("backlog_at_restart", backlog);
      extra.put("eviction_retries_logged", retries);
      extra.put("filled_after_restart", filledAfterRestart);
      extra.put("backlog_after_those_fills", backlogAfterFills);
      FaultResult result =
          s.finish(
              "Redis stopped for 10 s and an empty one started on the same port; the eviction"
                  + " step's offsets checked not to move while it was down",
              extra);

      assertThat(suite.sidecar.pid()).as("the sidecar did not restart").isEqualTo(pid);
      assertThat(retries).as("the eviction step retried with backoff").isPositive();
      assertThat(filledAfterRestart).as("entries filled once Redis was back").isPositive();
      assertThat(backlogAfterFills)
          .as("those fills came before the backlog of the outage was applied")
          .isPositive();
      assertNothingLostNothingStale(result);
    }
  }

  @Test
  @Order(3)
  void kafkaBrokerDownForTenSecondsThenRestartedLosesNoChange() throws Exception {
    serverOutage(
        "kafka-down-10s",
        3,
        servers.kafka::stopBroker,
        OUTAGE,
        servers.kafka::restart,
        "the Kafka broker (KRaft, one node) stopped for 10 s, then started again on the same"
            + " port and data");
  }

  @Test
  @Order(4)
  void postgresRestartedTheConnectorResumesFromItsSlotWithoutAGap() throws Exception {
    serverOutage(
        "postgres-restart",
        4,
        servers.postgres::stopServer,
        Duration.ofSeconds(5),
        servers.postgres::restart,
        "PostgreSQL stopped (pg_ctl stop -m fast) for 5 s, then started again on the same"
            + " port and data; writes fail meanwhile");
  }

  /**
   * A server stopped for {@code down} under load and started again: the sidecar lives on through
   * it, without restarting, and afterwards nothing is lost and nothing is stale.
   */
  private void serverOutage(
      String fault, int order, Runnable stop, Duration down, Runnable restart, String action)
      throws Exception {
    try (FaultScenario s = new FaultScenario(suite, fault, order)) {
      s.begin();
      long pid = suite.sidecar.pid();
      s.faultStarts();
      stop.run();
      await("the sidecar lives on while the server is away")
          .during(down)
          .atMost(down.plusSeconds(10))
          .until(suite.sidecar::isAlive);
      restart.run();
      s.faultEnded();
      s.awaitRecovery(RECOVERY);

      FaultResult result = s.finish(action, Map.of());

      assertThat(suite.sidecar.pid()).as("the sidecar did not restart").isEqualTo(pid);
      assertNothingLostNothingStale(result);
    }
  }

  @Test
  @Order(5)
  void malformedRecordsAreDeadLetteredAndTheStagesGoOn() throws Exception {
    try (FaultScenario s = new FaultScenario(suite, "malformed-records", 5)) {
      s.begin();
      long pid = suite.sidecar.pid();
      double deadLetteredBefore =
          suite.sidecar.metric("cachepipe_dead_lettered_total", "stage=\"invalidator\"");
      List<MalformedRecords.BadRecord> bad = MalformedRecords.of(suite.topics);
      s.faultStarts();
      try (KafkaProducer<byte[], byte[]> producer = producer()) {
        for (MalformedRecords.BadRecord record : bad) {
          producer
              .send(new ProducerRecord<>(record.topic(), record.key(), record.value()))
              .get(30, TimeUnit.SECONDS);
        }
      }
      s.faultEnded();

      List<ConsumerRecord<byte[], byte[]>> deadLetters = awaitDeadLetters(bad);
      await("the dead-letter counter rises")
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  suite.sidecar.metric("cachepipe_dead_lettered_total", "stage=\"invalidator\"")
                      >= deadLetteredBefore + bad.size());
      s.awaitRecovery(RECOVERY);

      Map<String, Object> extra = new LinkedHashMap<>();
      extra.put("bad_records", bad.size());
      extra.put("dead_lettered", deadLetters.size());
      extra.put(
          "dead_letter_counter_rise",
          suite.sidecar.metric("cachepipe_dead_lettered_total", "stage=\"invalidator\"")
              - deadLetteredBefore);
      FaultResult result =
          s.finish(
              "8 bad records written to the changes and invalidations topics: not JSON, schema"
                  + " version 99, a required field missing, ~1 MB",
              extra);

      for (MalformedRecords.BadRecord record : bad) {
        ConsumerRecord<byte[], byte[]> letter = deadLetterOf(deadLetters, record);
        assertThat(DeadLetters.header(letter.headers(), DeadLetters.REASON))
            .as("reason of %s", record.what())
            .contains(record.reason());
        assertThat(DeadLetters.header(letter.headers(), DeadLetters.SOURCE))
            .as("source of %s", record.what())
            .startsWith(record.topic() + "/");
      }
      assertThat(suite.sidecar.pid()).as("the sidecar did not restart").isEqualTo(pid);
      assertNothingLostNothingStale(result);
    }
  }

  @Test
  @Order(6)
  void aColumnAddedMidStreamAndWrittenIsCapturedWithoutAMiss() throws Exception {
    try (FaultScenario s = new FaultScenario(suite, "alter-table-add-column", 6)) {
      s.begin();
      long pid = suite.sidecar.pid();
      s.faultStarts();
      s.sql("ALTER TABLE posts ADD COLUMN fault_note text");
      s.load.useStatement(
          "INSERT INTO posts (id, author_id, title, view_count, fault_note)"
              + " VALUES (?, ?, 'fault load', 1, 'written to a column added mid-stream')");
      s.faultEnded();
      s.awaitRecovery(RECOVERY);

      FaultResult result =
          s.finish(
              "ALTER TABLE posts ADD COLUMN under load, then every write sets the new column",
              Map.of());

      assertThat(suite.sidecar.pid()).as("the sidecar did not restart").isEqualTo(pid);
      assertNothingLostNothingStale(result);
    }
  }

  @Test
  @Order(7)
  void oneTransactionOfAHundredThousandRowsFitsIn256MegabytesOfHeap() throws Exception {
    try (FaultScenario s = new FaultScenario(suite, "100k-row-transaction", 7)) {
      s.begin();
      long pid = suite.sidecar.pid();
      s.faultStarts();
      int updated;
      try (Connection c = suite.database.getConnection();
          Statement st = c.createStatement()) {
        updated =
            st.executeUpdate(
                "UPDATE posts SET view_count = view_count + 1 WHERE author_id BETWEEN "
                    + BIG_AUTHORS.get(0)
                    + " AND "
                    + BIG_AUTHORS.get(BIG_AUTHORS.size() - 1));
      }
      s.expectEvicted(
          LongStream.range(BIG_FIRST_POST, BIG_FIRST_POST + BIG_TRANSACTION_ROWS)
              .mapToObj(id -> "post:" + id)
              .toList());
      s.faultEnded();
      s.awaitRecovery(RECOVERY);

      long authorEvictions =
          BIG_AUTHORS.stream().mapToLong(a -> suite.evictions().reports("user:" + a)).sum();
      Map<String, Object> extra = new LinkedHashMap<>();
      extra.put("rows", updated);
      extra.put("sidecar_heap", FaultSuite.SIDECAR_HEAP);
      extra.put("author_tag_evictions", authorEvictions);
      extra.put("author_tag_invalidations_before_dedup", updated);
      FaultResult result =
          s.finish(
              "one UPDATE of 100,000 rows (5 authors) in one transaction, under load, sidecar at"
                  + " -Xmx256m",
              extra);

      assertThat(updated).isEqualTo(BIG_TRANSACTION_ROWS);
      assertThat(suite.sidecar.pid()).as("the sidecar did not restart").isEqualTo(pid);
      assertThat(suite.sidecar.logLinesContaining("java.lang.OutOfMemoryError")).isZero();
      assertThat(authorEvictions)
          .as("the 100,000 invalidations of 5 author tags are deduplicated")
          .isPositive()
          .isLessThan(BIG_TRANSACTION_ROWS / 10);
      assertNothingLostNothingStale(result);
    }
  }

  @Test
  @Order(8)
  void aTagOfAMillionEntriesIsEvictedUnderReadersWithoutStallingRedis() throws Exception {
    try (FaultScenario s = new FaultScenario(suite, "million-key-tag", 8)) {
      s.begin();
      long pid = suite.sidecar.pid();
      MillionKeyTag huge = new MillionKeyTag(s, 850);
      huge.register();
      LatencyProbe probe;
      ReadinessSamples readiness;
      try (LatencyProbe running = huge.probe();
          ReadinessSamples sampling = ReadinessSamples.start(suite.sidecar)) {
        probe = running;
        readiness = sampling;
        s.faultStarts();
        s.expectEvicted(huge.write(89_999_999L));
        s.faultEnded();
        s.awaitRecovery(RECOVERY);
      }
      long left = huge.left();

      Map<String, Object> extra = new LinkedHashMap<>();
      extra.put("entries_under_the_tag", MillionKeyTag.ENTRIES);
      extra.put("entries_left", left);
      extra.put("probe_reads", probe.count());
      extra.put("probe_p99_ms", Math.round(probe.p99Millis() * 1000) / 1000.0);
      extra.put("probe_max_ms", Math.round(probe.maxMillis() * 1000) / 1000.0);
      extra.put("ready_samples", readiness.figures());
      FaultResult result =
          s.finish(
              "1,000,000 entries registered under one author's tag, then a post of that author"
                  + " committed under load; its eviction deletes them in chunks while a probe"
                  + " reader GETs them",
              extra);

      assertThat(left).as("entries registered before the eviction").isZero();
      assertThat(suite.sidecar.pid()).as("the sidecar did not restart").isEqualTo(pid);
      assertThat(readiness.failingParts())
          .as("a long eviction in chunks is progress, not a stall: readiness stayed 200")
          .isEmpty();
      assertThat(readiness.count(503) + readiness.count(-1)).isZero();
      assertNothingLostNothingStale(result);
    }
  }

  private static void assertNothingLostNothingStale(FaultResult result) {
    suite.assertNothingLostNothingStale(result);
  }

  /** The rows of the big transaction: written before the sidecar first starts, so not captured. */
  private static void seedBigTransactionRows() throws Exception {
    try (Connection c = suite.database.getConnection();
        Statement st = c.createStatement()) {
      st.execute(
          "INSERT INTO users (id, name, email) SELECT g, 'big ' || g, 'big' || g || '@x'"
              + " FROM unnest(ARRAY"
              + BIG_AUTHORS
              + "::bigint[]) g");
      st.execute(
          "INSERT INTO posts (id, author_id, title, view_count) SELECT "
              + BIG_FIRST_POST
              + " + g, "
              + BIG_AUTHORS.get(0)
              + " + g % "
              + BIG_AUTHORS.size()
              + ", 'big', 0 FROM generate_series(0, "
              + (BIG_TRANSACTION_ROWS - 1)
              + ") g");
    }
  }

  /** Waits for a dead letter of every bad record, matched by its original bytes. */
  private static List<ConsumerRecord<byte[], byte[]>> awaitDeadLetters(
      List<MalformedRecords.BadRecord> bad) {
    List<ConsumerRecord<byte[], byte[]>> letters =
        TopicRecords.readUntil(
            servers.kafka.bootstrapServers(),
            suite.topics.deadLetter(),
            "a dead letter of each bad record",
            read -> bad.stream().allMatch(r -> deadLetterOf(read, r) != null),
            Duration.ofSeconds(60));
    return bad.stream().map(r -> deadLetterOf(letters, r)).toList();
  }

  private static ConsumerRecord<byte[], byte[]> deadLetterOf(
      List<ConsumerRecord<byte[], byte[]>> letters, MalformedRecords.BadRecord record) {
    return letters.stream()
        .filter(l -> Arrays.equals(l.value(), record.value()))
        .filter(l -> Arrays.equals(l.key(), record.key()))
        .findFirst()
        .orElse(null);
  }

  private static KafkaProducer<byte[], byte[]> producer() {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            servers.kafka.bootstrapServers(),
            ProducerConfig.ACKS_CONFIG,
            "all"),
        new ByteArraySerializer(),
        new ByteArraySerializer());
  }

  /**
   * The eviction group's committed offsets, once they have stood still for 2 s: the batch that was
   * in flight when Redis went has had its chance to commit.
   */
  @SuppressWarnings("unchecked")
  private static Map<TopicPartition, OffsetAndMetadata> heldOffsets(String group) {
    Map<TopicPartition, OffsetAndMetadata>[] last = new Map[] {Map.of()};
    int[] unchanged = {0};
    await("the eviction step's offsets stand still")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> {
              Map<TopicPartition, OffsetAndMetadata> now = suite.committedOffsets(group);
              unchanged[0] = now.equals(last[0]) ? unchanged[0] + 1 : 0;
              last[0] = now;
              return unchanged[0] >= 2 && !now.isEmpty();
            });
    return last[0];
  }
}
