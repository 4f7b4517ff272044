package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.client.CacheClient;
import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.Op;
import io.cachepipe.core.change.Watermark;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.sync.RedisCommands;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A column stored out of line (TOASTed) and left unchanged by an update, through pgoutput and
 * Debezium: pgoutput leaves it out of the new tuple. With REPLICA IDENTITY FULL the old tuple holds
 * it, and Debezium puts that value in the after-image too, so rules that read it act on its value:
 * a rule whose columns that matter name it does not evict on an update that left it alone, and does
 * once it changes; a rule whose tag is rendered from it evicts its value's tag. Without REPLICA
 * IDENTITY FULL (the check turned off) the after-image holds Debezium's placeholder and there is no
 * before-image: a rule that cannot tell whether the column changed evicts, and no tag is ever
 * rendered from the placeholder.
 */
class ToastedColumnIT {

  private static final Duration WAIT = Duration.ofSeconds(60);

  /** Stored out of line, uncompressed: longer than the 2 kB a row may keep inline. */
  private static final String OWNER = "owner-" + "o".repeat(3000);

  private static final String BODY = "b".repeat(10_000);

  private static Database db;
  private static Settings settings;
  private static Pipeline pipeline;
  private static CacheClient cache;
  private static RedisClient inspector;
  private static RedisCommands<String, String> redis;
  private static final CompletableFuture<Throwable> failure = new CompletableFuture<>();

  @BeforeAll
  static void startPipeline() throws Exception {
    db = TestServers.postgres().createDatabase("toast_it");
    for (String table : List.of("docs", "drafts")) {
      sql(
          "CREATE TABLE "
              + table
              + " (id bigint PRIMARY KEY, owner text NOT NULL, body text NOT NULL,"
              + " views int NOT NULL DEFAULT 0);"
              + " ALTER TABLE "
              + table
              + " ALTER COLUMN owner SET STORAGE EXTERNAL;"
              + " ALTER TABLE "
              + table
              + " ALTER COLUMN body SET STORAGE EXTERNAL");
    }
    sql("ALTER TABLE docs REPLICA IDENTITY FULL");
    Map<String, String> values = PipelineTestSettings.values(db, "toast");
    values.put("cachepipe.cdc.require.replica.identity.full", "false"); // for drafts
    for (String table : List.of("docs", "drafts")) {
      values.put("cachepipe.rule." + table + "body.table", table);
      values.put("cachepipe.rule." + table + "body.tag", table + ":{id}");
      values.put("cachepipe.rule." + table + "body.columns", "body");
      values.put("cachepipe.rule." + table + "owner.table", table);
      values.put("cachepipe.rule." + table + "owner.tag", table + "-owner:{owner}");
    }
    settings = Settings.of(values);
    String redisUri = TestServers.redis().uri();
    TestServers.redis().flushAll();
    pipeline = Pipeline.start(settings, SidecarConfig.validate(settings), failure::complete);
    pipeline.capture().awaitStarted(WAIT);
    pipeline.awaitReady(WAIT);
    cache = CacheClient.create(redisUri);
    inspector = RedisClient.create(redisUri);
    redis = inspector.connect().sync();
  }

  @AfterAll
  static void stopPipeline() {
    if (pipeline != null) {
      pipeline.close();
    }
    if (cache != null) {
      cache.close();
    }
    if (inspector != null) {
      inspector.shutdown();
    }
    assertThat(failure).as("no stage failed").isNotDone();
  }

  @Test
  void withReplicaIdentityFullRulesReadTheUnchangedColumnsValue() throws Exception {
    sql("INSERT INTO docs (id, owner, body) VALUES (1, '" + OWNER + "', '" + BODY + "')");
    drain();
    String doc = cached("doc", "docs:1");
    String byOwner = cached("owner_docs", "docs-owner:" + OWNER);

    sql("UPDATE docs SET views = views + 1 WHERE id = 1");
    drain();

    ChangeEvent update = firstUpdateOfRow1("docs");
    assertThat(update.after())
        .as("Debezium took the unchanged TOASTed values from the old tuple")
        .containsEntry("owner", OWNER)
        .containsEntry("body", BODY);
    assertThat(redis.exists(doc)).as("body unchanged: the body rule evicts nothing").isEqualTo(1);
    assertThat(redis.exists(byOwner)).as("the owner rule evicts its owner's tag").isZero();

    sql("UPDATE docs SET body = 'changed' WHERE id = 1");
    drain();

    assertThat(redis.exists(doc)).as("body changed: the body rule evicts").isZero();
  }

  @Test
  void withoutReplicaIdentityFullAnUnchangedColumnIsAPlaceholderThatRulesNeverTrust()
      throws Exception {
    sql("INSERT INTO drafts (id, owner, body) VALUES (1, '" + OWNER + "', '" + BODY + "')");
    drain();
    String draft = cached("draft", "drafts:1");

    sql("UPDATE drafts SET views = views + 1 WHERE id = 1");
    drain();

    ChangeEvent update = firstUpdateOfRow1("drafts");
    assertThat(update.before()).as("REPLICA IDENTITY DEFAULT: no before-image").isNull();
    assertThat(update.after())
        .containsEntry("owner", ChangeEvent.UNAVAILABLE_VALUE)
        .containsEntry("body", ChangeEvent.UNAVAILABLE_VALUE);
    assertThat(redis.exists(draft))
        .as("whether the body changed cannot be told: the body rule evicts")
        .isZero();
    assertThat(redis.keys("*" + ChangeEvent.UNAVAILABLE_VALUE + "*"))
        .as("no tag was rendered from the placeholder")
        .isEmpty();
  }

  /** Caches an entry of {@code kind} under {@code tag} and returns its key. */
  private static String cached(String kind, String tag) {
    String key = CacheKeys.entry(kind, 1);
    cache.get(key, List.of(tag), Duration.ofHours(1), () -> Map.of("id", 1), Map.class);
    assertThat(redis.exists(key)).as("%s is cached", key).isEqualTo(1);
    return key;
  }

  /** The first update of row 1 of {@code table} on the changes topic. */
  private static ChangeEvent firstUpdateOfRow1(String table) {
    Map<String, Object> config =
        Map.of(
            "bootstrap.servers",
            TestServers.kafka().bootstrapServers(),
            "group.id",
            "toast-it-" + System.nanoTime(),
            "auto.offset.reset",
            "earliest");
    List<ChangeEvent> updates = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(settings.get(Topics.CHANGES)));
      await("the update of " + table + " row 1 on the changes topic")
          .atMost(WAIT)
          .until(
              () -> {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                  if (Watermark.isWatermark(r.headers())) {
                    continue;
                  }
                  ChangeEvent change = ChangeEvent.CONTRACT.decode(r.value());
                  if (change.op() == Op.UPDATE
                      && change.table().equals("public." + table)
                      && ((Number) change.after().get("id")).longValue() == 1) {
                    updates.add(change);
                  }
                }
                return !updates.isEmpty();
              });
    }
    return updates.get(0);
  }

  /** Waits until every change committed so far went through every stage. */
  private static void drain() throws Exception {
    try (PipelineDrain drain = new PipelineDrain(settings, pipeline)) {
      drain.awaitCommitted(WAIT);
    }
  }

  private static void sql(String statement) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }
}
