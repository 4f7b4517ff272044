package io.cachepipe.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.Op;
import io.cachepipe.core.change.Reduced;
import io.cachepipe.core.change.Watermark;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.kafka.TopicCreator;
import io.cachepipe.core.tag.TagRules;
import io.cachepipe.testing.PostgresFixture;
import io.cachepipe.testing.TestServers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Rows too big for a Kafka record (the producer's {@code max.request.size}, 1 MiB by default) are
 * still captured, cut down to what the tag rules read, and capture goes on after them.
 */
class OversizedChangeIT {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration DELIVERY_TIMEOUT = Duration.ofSeconds(90);

  private static PostgresFixture.Database db;
  private static String topicPrefix;
  private static KafkaConsumer<String, byte[]> consumer;
  private static final List<ConsumerRecord<String, byte[]>> received = new ArrayList<>();

  private final List<Throwable> engineFailures = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void createDatabaseAndTopics() {
    db = TestServers.postgres().createDatabase("oversized_change_it");
    topicPrefix = TestServers.kafka().uniqueTopicPrefix("oversized-change-it");
    TopicCreator.ensure(TestServers.kafka().bootstrapServers(), topics());
    consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                TestServers.kafka().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG,
                topicPrefix + "-test-reader",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new StringDeserializer(),
            new ByteArrayDeserializer());
    consumer.subscribe(List.of(topics().changes()));
  }

  @AfterAll
  static void closeConsumerAndDropSlots() throws SQLException {
    if (consumer != null) {
      consumer.close(Duration.ofSeconds(5));
    }
    if (db != null) {
      execute(
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
              + " WHERE database = current_database() AND NOT active");
    }
  }

  @AfterEach
  void noEngineFailedOnItsOwn() {
    assertThat(engineFailures).isEmpty();
  }

  @Test
  void rowsOf1Point6And50MegabytesArriveCutDownToTheRuleColumnsAndCaptureGoesOn() throws Exception {
    Map<String, String> settings = settings("sized");
    try (ChangeCapture capture = startCapture(settings)) {
      long author = insertReturningId("INSERT INTO users (name, email) VALUES ('a', 'a@x')");
      long mid = insertPostWithRandomBody(author, 1_600_000);
      execute("UPDATE posts SET view_count = view_count + 1 WHERE id = " + mid);
      long big = insertPostWithRandomBody(author, 50_000_000);
      execute("UPDATE posts SET view_count = view_count + 1 WHERE id = " + big);
      long after =
          insertReturningId(
              "INSERT INTO posts (author_id, title) VALUES (" + author + ", 'after') RETURNING id");

      awaitRecords(() -> recordsOf(after).size() >= 1 && recordsOf(big).size() >= 2);

      for (long post : List.of(mid, big)) {
        List<ConsumerRecord<String, byte[]>> records = recordsOf(post);
        assertThat(records).hasSize(2);
        for (ConsumerRecord<String, byte[]> record : records) {
          assertThat(Reduced.of(record.headers())).contains(Reduced.RULE_COLUMNS);
          assertThat(record.value().length).isLessThan(1_048_576);
        }
        ChangeEvent insert = ChangeEvent.CONTRACT.decode(records.get(0).value());
        ChangeEvent update = ChangeEvent.CONTRACT.decode(records.get(1).value());
        assertThat(insert.op()).isEqualTo(Op.INSERT);
        assertThat(insert.after()).containsOnlyKeys("id", "author_id");
        assertThat(update.op()).isEqualTo(Op.UPDATE);
        assertThat(update.before()).containsOnlyKeys("id", "author_id");
        assertThat(TagRules.from(Settings.empty()).tagsFor(update).tags())
            .containsExactlyInAnyOrder("post:" + post, "user:" + author);
      }
      assertThat(Reduced.of(recordsOf(after).get(0).headers())).isEmpty();
      assertThat(capture.stats().reduced()).isEqualTo(4);
      assertThat(capture.state()).isEqualTo(ChangeCapture.State.STREAMING);
    }
  }

  @Test
  void aChangeWhoseRuleColumnsAreTooBigArrivesAsItsKeyAndTheKeyRulesStillRender() throws Exception {
    Map<String, String> settings = settings("keyonly");
    settings.put("cachepipe.rule.post.table", "public.posts");
    settings.put("cachepipe.rule.post.tag", "post:{id}");
    settings.put("cachepipe.rule.titled.table", "public.posts");
    settings.put("cachepipe.rule.titled.tag", "title:{title}");
    settings.put("cachepipe.rule.titled.columns", "title");
    try (ChangeCapture capture = startCapture(settings)) {
      long author = insertReturningId("INSERT INTO users (name, email) VALUES ('k', 'k@x')");
      long post =
          insertReturningId(
              "INSERT INTO posts (author_id, title) SELECT "
                  + author
                  + ", string_agg(md5(random()::text), '') FROM generate_series(1, 40000)"
                  + " RETURNING id");
      execute("UPDATE posts SET view_count = 7 WHERE id = " + post);
      long after =
          insertReturningId(
              "INSERT INTO posts (author_id, title) VALUES (" + author + ", 'z') RETURNING id");

      awaitRecords(() -> recordsOf(after).size() >= 1 && recordsOf(post).size() >= 2);

      ConsumerRecord<String, byte[]> update = recordsOf(post).get(1);
      assertThat(Reduced.of(update.headers())).contains(Reduced.KEY_ONLY);
      ChangeEvent change = ChangeEvent.CONTRACT.decode(update.value());
      assertThat(change.before()).containsOnlyKeys("id");
      assertThat(TagRules.from(Settings.of(settings)).tagsFor(change, Reduced.KEY_ONLY).tags())
          .containsExactly("post:" + post);
      assertThat(capture.state()).isEqualTo(ChangeCapture.State.STREAMING);
    }
  }

  // --- helpers ---

  private static Topics topics() {
    return Topics.from(Settings.of(topicSettings()));
  }

  private static Map<String, String> topicSettings() {
    Map<String, String> s = new HashMap<>();
    s.put("cachepipe.topic.changes", topicPrefix + ".changes");
    s.put("cachepipe.topic.invalidations", topicPrefix + ".invalidations");
    s.put("cachepipe.topic.evictions", topicPrefix + ".evictions");
    s.put("cachepipe.topic.dead.letter", topicPrefix + ".dead-letter");
    s.put("cachepipe.topic.partitions", "1");
    return s;
  }

  private static Map<String, String> settings(String name) {
    Map<String, String> s = topicSettings();
    s.put("cachepipe.postgres.url", db.jdbcUrl());
    s.put("cachepipe.postgres.user", db.user());
    s.put("cachepipe.postgres.password", db.password());
    s.put("kafka.bootstrap.servers", TestServers.kafka().bootstrapServers());
    s.put("cachepipe.redis.uri", TestServers.redis().uri());
    s.put("cachepipe.cdc.tables", "public.posts");
    s.put("cachepipe.cdc.slot.name", name);
    s.put("cachepipe.cdc.publication.name", name + "_pub");
    s.put("cachepipe.cdc.offsets.topic", topicPrefix + "." + name + ".offsets");
    s.put("cachepipe.cdc.name", topicPrefix + "-" + name);
    return s;
  }

  private ChangeCapture startCapture(Map<String, String> settings) throws Exception {
    ChangeCapture capture = ChangeCapture.start(Settings.of(settings), engineFailures::add);
    try {
      capture.awaitStarted(START_TIMEOUT);
    } catch (Exception | Error e) {
      capture.close();
      throw e;
    }
    return capture;
  }

  private void awaitRecords(java.util.concurrent.Callable<Boolean> condition) {
    await()
        .atMost(DELIVERY_TIMEOUT)
        .pollInSameThread()
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              assertThat(engineFailures).isEmpty();
              consumer.poll(Duration.ofMillis(100)).forEach(received::add);
              return condition.call();
            });
  }

  /** The change records of post {@code id}, in order. */
  private static List<ConsumerRecord<String, byte[]>> recordsOf(long id) {
    return received.stream()
        .filter(r -> !Watermark.isWatermark(r.headers()))
        .filter(r -> keyOf(r).filter(k -> k == id).isPresent())
        .toList();
  }

  private static Optional<Long> keyOf(ConsumerRecord<String, byte[]> record) {
    ChangeEvent change = ChangeEvent.CONTRACT.decode(record.value());
    Object id = change.key().get("id");
    return change.table().equals("public.posts") && id instanceof Number n
        ? Optional.of(n.longValue())
        : Optional.empty();
  }

  /** A post whose body is {@code bytes} of random hex text (TOASTed). */
  private static long insertPostWithRandomBody(long author, int bytes) throws SQLException {
    return insertReturningId(
        "INSERT INTO posts (author_id, title, body) SELECT "
            + author
            + ", 'big', string_agg(md5(random()::text), '') FROM generate_series(1, "
            + (bytes / 32)
            + ") RETURNING id");
  }

  private static long insertReturningId(String sql) throws SQLException {
    try (Connection c = connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql.contains("RETURNING") ? sql : sql + " RETURNING id")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void execute(String sql) throws SQLException {
    try (Connection c = connect();
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  private static Connection connect() throws SQLException {
    return DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
  }
}
