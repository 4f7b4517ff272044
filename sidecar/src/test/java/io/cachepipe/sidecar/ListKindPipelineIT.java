package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.auditor.AuditResult;
import io.cachepipe.auditor.ConsistencyAuditor;
import io.cachepipe.auditor.JsonValues;
import io.cachepipe.auditor.StaleEntry;
import io.cachepipe.client.CacheClient;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.json.Json;
import io.cachepipe.core.warm.WarmableEntry;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A second warm kind, defined only in the configuration, through real PostgreSQL, Debezium, Kafka
 * and Redis: an author's latest post ids, a list. A reader caches it, a committed post evicts it,
 * the warmer refills it with the query's new result, and the auditor checks it.
 */
class ListKindPipelineIT {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration TTL = Duration.ofMinutes(5);
  private static final String LATEST_POSTS =
      "SELECT id FROM posts WHERE author_id = :author_id AND NOT is_deleted"
          + " ORDER BY created_at DESC LIMIT 5";
  private static final String KEY = "cp:latest_posts:1";

  private static Database db;
  private static Settings settings;
  private static Pipeline pipeline;
  private static CacheClient cache;
  private static RedisClient redisClient;
  private static StatefulRedisConnection<String, String> redisConnection;
  private static RedisCommands<String, String> redis;
  private static final CompletableFuture<Throwable> failure = new CompletableFuture<>();

  @BeforeAll
  static void startPipeline() throws Exception {
    db = TestServers.postgres().createDatabase("list_kind_it");
    TestServers.redis().flushAll();
    Map<String, String> values = PipelineTestSettings.values(db, "list-kind");
    values.put("cachepipe.warm.latest_posts.key", "cp:latest_posts:{author_id}");
    values.put("cachepipe.warm.latest_posts.tags", "user:{author_id}");
    values.put("cachepipe.warm.latest_posts.query", LATEST_POSTS);
    values.put("cachepipe.warm.latest_posts.shape", "list");
    values.put(
        "cachepipe.warm.latest_posts.batch.query",
        "SELECT author_id, id FROM (SELECT author_id, id, created_at, row_number() OVER"
            + " (PARTITION BY author_id ORDER BY created_at DESC) AS n FROM posts"
            + " WHERE author_id = ANY(:author_ids) AND NOT is_deleted) latest"
            + " WHERE n <= 5 ORDER BY author_id, created_at DESC");
    settings = Settings.of(values);
    pipeline = Pipeline.start(settings, SidecarConfig.validate(settings), failure::complete);
    pipeline.capture().awaitStarted(Duration.ofSeconds(60));
    cache = CacheClient.create(TestServers.redis().uri());
    redisClient = RedisClient.create(TestServers.redis().uri());
    redisConnection = redisClient.connect();
    redis = redisConnection.sync();
    commitAndAwaitEvictions("INSERT INTO users (id, name, email) VALUES (1, 'ada', 'a@x')", 1);
    // Seven posts, each created at a time of its own: the latest five are one list.
    commitAndAwaitEvictions(
        "INSERT INTO posts (id, author_id, title, created_at)"
            + " SELECT g, 1, 'post ' || g, now() - make_interval(mins => 10 - g)"
            + " FROM generate_series(1, 7) g",
        8);
  }

  @AfterAll
  static void stopPipeline() {
    if (pipeline != null) {
      pipeline.close();
    }
    if (cache != null) {
      cache.close();
    }
    if (redisConnection != null) {
      redisConnection.close();
      redisClient.shutdown();
    }
    assertThat(failure).as("no stage failed").isNotDone();
  }

  @Test
  void aListKindIsCachedEvictedWarmedWithTheNewResultAndAudited() throws Exception {
    assertThat(WarmableEntry.from(settings))
        .map(WarmableEntry::name)
        .containsExactly("latest_posts", "user_stats");
    AtomicInteger loads = new AtomicInteger();
    assertThat(readLatestPosts(loads)).containsExactly(7L, 6L, 5L, 4L, 3L);
    assertThat(redis.get(KEY)).as("cached by the reader").isEqualTo("[7,6,5,4,3]");
    long warmedBefore = pipeline.warmer().stats().warmed();

    sql("INSERT INTO posts (id, author_id, title) VALUES (8, 1, 'newest')");

    await("the warmer refills the latest posts with the query's new result")
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(pipeline.warmer().stats().warmed()).isGreaterThan(warmedBefore);
              assertThat(redis.get(KEY)).isEqualTo(Json.mapper().writeValueAsString(query()));
            });
    assertThat(query()).containsExactly(8L, 7L, 6L, 5L, 4L);
    assertThat(readLatestPosts(loads)).as("what a reader gets").containsExactly(8L, 7L, 6L, 5L, 4L);
    assertThat(loads).as("the second read was a hit on the warmed entry").hasValue(1);

    AuditResult clean = auditor().auditAll(Duration.ofMillis(200));
    assertThat(clean.checked()).isPositive();
    assertThat(clean.staleEntries()).isEmpty();

    redis.set(KEY, "[3,2,1]", SetArgs.Builder.keepttl()); // corrupted on purpose
    AuditResult corrupted = auditor().auditAll(Duration.ofMillis(200));
    assertThat(corrupted.stale()).isEqualTo(1);
    StaleEntry stale = corrupted.staleEntries().get(0);
    assertThat(stale.key()).isEqualTo(KEY);
    assertThat(stale.kind()).isEqualTo("latest_posts");
    assertThat(stale.cached()).isEqualTo(JsonValues.read("[3,2,1]"));
    assertThat(stale.trueValue()).isEqualTo(JsonValues.read("[8,7,6,5,4]"));
  }

  /** The latest posts as an application reads them: through the cache-client, as a Long[]. */
  private static List<Long> readLatestPosts(AtomicInteger loads) {
    Long[] ids =
        cache.get(
            KEY,
            List.of("user:1"),
            TTL,
            () -> {
              loads.incrementAndGet();
              return query().toArray(Long[]::new);
            },
            Long[].class);
    return List.of(ids);
  }

  private static List<Long> query() throws SQLException {
    List<Long> ids = new ArrayList<>();
    try (Connection c = connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(LATEST_POSTS.replace(":author_id", "1"))) {
      while (rs.next()) {
        ids.add(rs.getLong(1));
      }
    }
    return ids;
  }

  private static ConsistencyAuditor auditor() {
    return new ConsistencyAuditor(redis, ListKindPipelineIT::connect, WarmableEntry.from(settings));
  }

  private static void commitAndAwaitEvictions(String statement, int tags) throws SQLException {
    long before = pipeline.invalidator().metrics().evictions();
    sql(statement);
    await("the evictions of " + statement)
        .atMost(WAIT)
        .until(() -> pipeline.invalidator().metrics().evictions() >= before + tags);
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
