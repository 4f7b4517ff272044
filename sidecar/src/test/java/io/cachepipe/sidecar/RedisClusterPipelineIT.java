package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.auditor.AuditResult;
import io.cachepipe.auditor.ConsistencyAuditor;
import io.cachepipe.client.CacheClient;
import io.cachepipe.client.WriteToken;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.core.redis.VersionedEntry;
import io.cachepipe.core.warm.WarmableEntry;
import io.cachepipe.redis.RedisConnector;
import io.cachepipe.redis.RedisSession;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.RedisClusterFixture;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole pipeline (cdc, invalidator, warmer) in {@code cachepipe.redis.mode=cluster} against a
 * real Redis Cluster of three masters: committed changes evict entries on every master, the
 * watermark advances, the warmer refills, and the auditor walks every master.
 */
class RedisClusterPipelineIT {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration LONG_TTL = Duration.ofHours(1);

  private static Database db;
  private static Settings settings;
  private static Pipeline pipeline;
  private static CacheClient cache;
  private static RedisConnector redisClient;
  private static RedisSession session;
  private static RedisClusterCommands<String, String> redis;
  private static final CompletableFuture<Throwable> failure = new CompletableFuture<>();

  @BeforeAll
  static void startPipeline() throws Exception {
    RedisClusterFixture cluster = TestServers.redisCluster();
    cluster.flushAll();
    db = TestServers.postgres().createDatabase("redis_cluster_pipeline_it");
    Map<String, String> values = PipelineTestSettings.values(db, "redis-cluster-pipeline");
    values.put(Connections.REDIS_MODE.name(), Connections.CLUSTER);
    values.put(Connections.REDIS_URI.name(), cluster.uri());
    settings = Settings.of(values);
    Connections connections = Connections.from(settings);
    RedisAccess.check(connections); // run's start check: PING on every master
    pipeline = Pipeline.start(settings, SidecarConfig.validate(settings), failure::complete);
    pipeline.capture().awaitStarted(Duration.ofSeconds(60));
    cache = CacheClient.builder().connections(connections).build();
    redisClient = RedisAccess.client(connections, Duration.ofSeconds(5));
    session = RedisAccess.connect(redisClient);
    redis = session.commands();
    sql(
        "INSERT INTO users (id, name, email)"
            + " SELECT g, 'user ' || g, 'user' || g || '@example.com' FROM generate_series(1, 6) g");
    await("the seed's evictions")
        .atMost(WAIT)
        .until(() -> pipeline.invalidator().metrics().evictions() >= 6);
  }

  @AfterAll
  static void stopPipeline() {
    if (pipeline != null) {
      pipeline.close();
    }
    if (cache != null) {
      cache.close();
    }
    if (session != null) {
      session.close();
      redisClient.close();
    }
    assertThat(failure).as("no stage failed").isNotDone();
  }

  @Test
  void committedChangesEvictEntriesOnEveryMasterAndTheWatermarkPassesThem() throws Exception {
    assertThat(cache.isCluster()).isTrue();
    List<String> keys =
        List.of(1, 2, 3, 4, 5).stream().map(id -> cacheEntry("user", id, "user:" + id)).toList();
    assertThat(keys.stream().map(k -> SlotHash.getSlot(k) * 3 / SlotHash.SLOT_COUNT).distinct())
        .as("the entries are spread over the masters")
        .hasSizeGreaterThan(1);

    WriteToken token;
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      st.executeUpdate("UPDATE users SET name = 'renamed' WHERE id BETWEEN 1 AND 5");
      token = WriteToken.commit(c);
    }

    await("the entries' evictions")
        .atMost(WAIT)
        .untilAsserted(() -> assertThat(redis.exists(keys.toArray(String[]::new))).isZero());
    await("the watermark passes the write")
        .atMost(WAIT)
        .until(() -> cache.watermark() >= token.lsn());
    for (int id = 1; id <= 5; id++) {
      assertThat(redis.get(CacheKeys.tagVersion("user:" + id))).isNotNull();
    }
  }

  @Test
  void theWarmerRefillsLiveStatsAndTheAuditorFindsThemTrueOnEveryMaster() throws Exception {
    sql("INSERT INTO posts (id, author_id, title, view_count) VALUES (601, 6, 'stats', 5)");
    String key = CacheKeys.entry("user_stats", 6);
    await("the insert's eviction")
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(
                        totalViews(
                            cache.get(
                                key, List.of("user:6"), LONG_TTL, () -> statsOf(6), Map.class)))
                    .isEqualTo(5));
    long warmedBefore = pipeline.warmer().stats().warmed();

    sql("UPDATE posts SET view_count = view_count + 1000 WHERE id = 601");

    await("the warmer refills the stats")
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(pipeline.warmer().stats().warmed()).isGreaterThan(warmedBefore);
              String stored = redis.get(key);
              assertThat(stored).isNotNull();
              VersionedEntry entry = VersionedEntry.decode(stored);
              assertThat(entry.value().get("total_views").asLong()).isEqualTo(1005);
            });
    long hits = cache.stats().hits();
    assertThat(totalViews(cache.get(key, List.of("user:6"), LONG_TTL, () -> Map.of(), Map.class)))
        .isEqualTo(1005);
    assertThat(cache.stats().hits()).as("the warmed entry is served").isEqualTo(hits + 1);

    List<String> stats =
        List.of(1, 2, 3, 4, 5, 6).stream().map(id -> CacheKeys.entry("user_stats", id)).toList();
    for (int id = 1; id <= 5; id++) {
      long author = id;
      cache.get(
          stats.get(id - 1), List.of("user:" + id), LONG_TTL, () -> statsOf(author), Map.class);
    }
    assertThat(redis.exists(stats.toArray(String[]::new))).isEqualTo(6);
    assertThat(stats.stream().map(k -> SlotHash.getSlot(k) * 3 / SlotHash.SLOT_COUNT).distinct())
        .as("the audited entries are spread over the masters")
        .hasSizeGreaterThan(1);
    ConsistencyAuditor auditor =
        new ConsistencyAuditor(redis, this::database, WarmableEntry.from(settings));
    AuditResult clean = auditor.auditAll(Duration.ZERO);
    assertThat(clean.checked()).as("every master's entries are walked").isEqualTo(6);
    assertThat(clean.stale()).isZero();

    // An entry with current versions but a wrong value is stale, wherever its master is.
    VersionedEntry warmed = VersionedEntry.decode(redis.get(key));
    redis.set(
        key,
        VersionedEntry.encode(
            warmed.versionKeys(), warmed.versions(), "{\"post_count\":99,\"total_views\":1}"));
    AuditResult stale = auditor.auditAll(Duration.ZERO);
    assertThat(stale.stale()).isEqualTo(1);
    assertThat(stale.staleEntries().get(0).key()).isEqualTo(key);
  }

  private static long totalViews(Map<?, ?> stats) {
    return ((Number) stats.get("total_views")).longValue();
  }

  private Connection database() throws SQLException {
    return DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
  }

  private static Map<String, Long> statsOf(long author) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*), coalesce(sum(view_count), 0) FROM posts WHERE author_id = "
                    + author
                    + " AND is_deleted = false")) {
      rs.next();
      return Map.of("post_count", rs.getLong(1), "total_views", rs.getLong(2));
    }
  }

  /** Caches an entry of {@code kind} under {@code tag} through the client and returns its key. */
  private static String cacheEntry(String kind, long id, String tag) {
    String key = CacheKeys.entry(kind, id);
    cache.get(key, List.of(tag), LONG_TTL, () -> Map.of("id", id), Map.class);
    assertThat(redis.exists(key)).as("%s is cached", key).isEqualTo(1);
    assertThat(redis.zscore(CacheKeys.tagRegistry(tag), key)).isNotNull();
    return key;
  }

  private static void sql(String statement) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }
}
