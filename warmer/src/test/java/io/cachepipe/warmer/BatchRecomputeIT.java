package io.cachepipe.warmer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.client.CacheClient;
import io.cachepipe.core.change.EvictionReport;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.json.Json;
import io.cachepipe.core.kafka.KafkaClients;
import io.cachepipe.core.kafka.TopicCreator;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.core.warm.WarmableEntry;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A kind with a batch query recomputes the entries due together with one query per batch, and fills
 * each as its single query would have, fenced by its own tag versions.
 */
class BatchRecomputeIT {

  private static final int AUTHORS = 30;
  private static final String P = "cachepipe.warm.latest_posts.";
  private static final String SINGLE =
      "SELECT id FROM posts WHERE author_id = :author_id AND NOT is_deleted"
          + " ORDER BY created_at DESC LIMIT 5";
  private static final String BATCH =
      "SELECT author_id, id FROM (SELECT author_id, id, created_at, row_number() OVER"
          + " (PARTITION BY author_id ORDER BY created_at DESC) AS n FROM posts"
          + " WHERE author_id = ANY(:author_ids) AND NOT is_deleted) latest"
          + " WHERE n <= 5 ORDER BY author_id, created_at DESC";

  private static Database db;
  private static RedisClient redisClient;
  private static StatefulRedisConnection<String, String> connection;
  private static RedisCommands<String, String> redis;

  @BeforeAll
  static void seed() throws Exception {
    db = TestServers.postgres().createDatabase("batch_recompute_it");
    sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    sql(
        "INSERT INTO users (id, name, email)"
            + " SELECT g, 'user ' || g, 'u' || g || '@x' FROM generate_series(1, "
            + AUTHORS
            + ") g");
    // Author n < 30 has n % 8 + 1 posts, each created at a time of its own; author 30 has none.
    sql(
        "INSERT INTO posts (author_id, title, created_at)"
            + " SELECT u, 'p', now() - make_interval(mins => u * 100 + g)"
            + " FROM generate_series(1, "
            + (AUTHORS - 1)
            + ") u, generate_series(1, u % 8 + 1) g");
    redisClient = RedisClient.create(TestServers.redis().uri());
    connection = redisClient.connect();
    redis = connection.sync();
  }

  @AfterAll
  static void stop() {
    if (connection != null) {
      connection.close();
      redisClient.shutdown();
    }
  }

  @BeforeEach
  void emptyCache() {
    TestServers.redis().flushAll();
  }

  @Test
  void aStormOfEvictionsOfOneKindCostsOneQueryPerBatchNotOnePerEntry() throws Exception {
    Map<String, String> values = PipelineTestSettings.values(db, "batch-recompute");
    values.put("cachepipe.topic.partitions", "1"); // one poll reads the whole storm
    values.putAll(latestPosts(BATCH));
    values.put(P + "batch.size", "12");
    Settings settings = Settings.of(values);
    Topics topics = Topics.from(settings);
    TopicCreator.ensure(KafkaClients.shared(settings), topics);
    reportEvictions(settings, topics);
    long batchQueries = calls("row_number()");
    long singleQueries = calls("LIMIT");
    CompletableFuture<Throwable> failure = new CompletableFuture<>();

    try (Warmer warmer = Warmer.start(settings, failure::complete)) {
      await("the storm warmed")
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(() -> assertThat(warmer.stats().warmed()).isEqualTo(AUTHORS));
      assertThat(warmer.stats().failed()).isZero();
    }

    assertThat(failure).isNotDone();
    assertThat(calls("row_number()") - batchQueries)
        .as("batch queries for %d entries in batches of 12", AUTHORS)
        .isEqualTo(3);
    assertThat(calls("LIMIT") - singleQueries).as("single queries").isZero();
    WarmableEntry kind = WarmableEntry.from(settings).get(0);
    try (Connection c = connect();
        CacheClient reader = CacheClient.create(TestServers.redis().uri())) {
      for (int author = 1; author <= AUTHORS; author++) {
        String key = "cp:latest_posts:" + author;
        Map<String, String> params = Map.of("author_id", Integer.toString(author));
        String truth = Json.mapper().writeValueAsString(kind.compute(c, params));
        assertThat(redis.get(key)).as(key).isEqualTo(truth);
        // What the warmer wrote is what an application reads for the key, without loading it.
        Long[] read =
            reader.get(
                key,
                List.of("user:" + author),
                Duration.ofMinutes(5),
                () -> {
                  throw new AssertionError("a warmed entry is a hit");
                },
                Long[].class);
        assertThat(Json.mapper().writeValueAsString(read)).isEqualTo(truth);
      }
      assertThat(redis.get("cp:latest_posts:" + AUTHORS)).isEqualTo("[]");
    }
  }

  @Test
  void aTagEvictedWhileTheBatchQueryRunsDropsThatEntrysFillAndItsRetryFillsTheNewValue()
      throws Exception {
    // The batch query sleeps, so that a change can commit while it runs.
    String slowBatch =
        "WITH pause AS (SELECT pg_sleep(0.4)) " + BATCH.replace(") latest", ") latest, pause");
    Settings settings = settings(latestPosts(slowBatch));
    WarmableEntry kind = WarmableEntry.from(settings).get(0);
    Connections connections = Connections.from(settings);
    Map<String, Map<String, String>> entries = new LinkedHashMap<>();
    for (int author = 1; author <= 3; author++) {
      entries.put("cp:latest_posts:" + author, Map.of("author_id", Integer.toString(author)));
    }

    try (CacheClient cache = CacheClient.builder().connections(connections).build();
        EntryRecomputer single = new EntryRecomputer(cache, connections, 2, Duration.ofSeconds(5));
        Connection watcher = connect()) {
      BatchRecomputer batch =
          new BatchRecomputer(cache, single, new RateLimiter(1000, System::nanoTime));
      CompletableFuture<Void> done =
          CompletableFuture.runAsync(() -> batch.recompute(kind, entries));
      awaitRunning(watcher, "pg_sleep(0.4)", done);
      // A new post of author 2 commits meanwhile, and its eviction bumps the tag's version.
      sql("INSERT INTO posts (id, author_id, title) VALUES (9000, 2, 'new')");
      redis.incr(CacheKeys.tagVersion("user:2"));
      done.get(30, TimeUnit.SECONDS);

      assertThat(cache.stats().fillsRejected()).as("the fill of author 2 dropped").isEqualTo(1);
      assertThat(single.warmed.sum()).isEqualTo(3);
      assertThat(single.abandoned.sum() + single.failed.sum()).isZero();
      assertThat(redis.get("cp:latest_posts:2")).startsWith("[9000,");
    } finally {
      sql("DELETE FROM posts WHERE id = 9000");
    }
  }

  @Test
  void aRowKindsEntryWithoutABatchRowIsNotFilledAsWithItsSingleQuery() throws Exception {
    Map<String, String> kind = new LinkedHashMap<>();
    kind.put("cachepipe.warm.user.key", "cp:user:{id}");
    kind.put("cachepipe.warm.user.tags", "user:{id}");
    kind.put("cachepipe.warm.user.query", "SELECT name, email FROM users WHERE id = :id");
    kind.put(
        "cachepipe.warm.user.batch.query",
        "SELECT id AS user_id, name, email FROM users WHERE id = ANY(:ids)");
    kind.put("cachepipe.warm.user.batch.key.column", "user_id");
    Settings settings = settings(kind);
    Connections connections = Connections.from(settings);
    Map<String, Map<String, String>> entries = new LinkedHashMap<>();
    for (String id : List.of("1", "2", "999")) {
      entries.put("cp:user:" + id, Map.of("id", id));
    }

    try (CacheClient cache = CacheClient.builder().connections(connections).build();
        EntryRecomputer single =
            new EntryRecomputer(cache, connections, 1, Duration.ofSeconds(5))) {
      new BatchRecomputer(cache, single, new RateLimiter(1000, System::nanoTime))
          .recompute(WarmableEntry.from(settings).get(0), entries);

      assertThat(redis.get("cp:user:1")).isEqualTo("{\"name\":\"user 1\",\"email\":\"u1@x\"}");
      assertThat(redis.get("cp:user:2")).isEqualTo("{\"name\":\"user 2\",\"email\":\"u2@x\"}");
      assertThat(redis.exists("cp:user:999")).isZero();
      assertThat(single.warmed.sum()).isEqualTo(2);
    }
  }

  private static Map<String, String> latestPosts(String batchQuery) {
    Map<String, String> kind = new LinkedHashMap<>();
    kind.put(P + "key", "cp:latest_posts:{author_id}");
    kind.put(P + "tags", "user:{author_id}");
    kind.put(P + "query", SINGLE);
    kind.put(P + "shape", "list");
    kind.put(P + "batch.query", batchQuery);
    return kind;
  }

  private static Settings settings(Map<String, String> kind) {
    Map<String, String> values = new LinkedHashMap<>(kind);
    values.put("cachepipe.postgres.url", db.jdbcUrl());
    values.put("cachepipe.postgres.user", db.user());
    values.put("cachepipe.postgres.password", db.password());
    values.put("cachepipe.redis.uri", TestServers.redis().uri());
    return Settings.of(values);
  }

  /** One eviction report per author, each finding its latest posts cached: a write storm. */
  private static void reportEvictions(Settings settings, Topics topics) throws Exception {
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            KafkaClients.shared(settings), new StringSerializer(), new ByteArraySerializer())) {
      for (int author = 1; author <= AUTHORS; author++) {
        EvictionReport report =
            new EvictionReport(
                EvictionReport.SCHEMA_VERSION,
                "user:" + author,
                author,
                author,
                System.currentTimeMillis() * 1000,
                List.of("cp:latest_posts:" + author),
                1,
                false);
        producer.send(
            new ProducerRecord<>(
                topics.evictions(), report.tag(), EvictionReport.CONTRACT.encode(report)));
      }
      producer.flush();
    }
  }

  /** Calls of this database's statements whose text contains {@code fragment}, so far. */
  private static long calls(String fragment) throws SQLException {
    try (Connection c = connect();
        PreparedStatement st =
            c.prepareStatement(
                "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements"
                    + " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
                    + " AND query LIKE '%FROM posts%' AND strpos(query, ?) > 0")) {
      st.setString(1, fragment);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** Returns once another session runs a statement containing {@code fragment}. */
  private static void awaitRunning(Connection watcher, String fragment, CompletableFuture<?> task)
      throws SQLException {
    try (PreparedStatement running =
        watcher.prepareStatement(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                + " AND strpos(query, ?) > 0 AND pid <> pg_backend_pid()")) {
      running.setString(1, fragment);
      while (!task.isDone()) {
        try (ResultSet rs = running.executeQuery()) {
          rs.next();
          if (rs.getInt(1) > 0) {
            return;
          }
        }
      }
    }
    throw new AssertionError("the statement finished before it was seen running");
  }

  private static Connection connect() throws SQLException {
    return DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
  }

  private static void sql(String statement) throws SQLException {
    try (Connection c = connect();
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }
}
