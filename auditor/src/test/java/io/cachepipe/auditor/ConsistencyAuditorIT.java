package io.cachepipe.auditor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.cachepipe.client.CacheClient;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.json.Json;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.core.warm.WarmableEntry;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The auditor against a real PostgreSQL and Redis, entries cached as the cache-client does. */
class ConsistencyAuditorIT {

  private static final Duration TTL = Duration.ofMinutes(5);

  private static Database db;
  private static List<WarmableEntry> kinds;
  private static CacheClient cache;
  private static RedisClient redisClient;
  private static StatefulRedisConnection<String, String> connection;
  private static RedisCommands<String, String> redis;

  @BeforeAll
  static void start() throws Exception {
    db = TestServers.postgres().createDatabase("auditor_it");
    sql(
        "INSERT INTO users (id, name, email)"
            + " SELECT g, 'user ' || g, 'u' || g || '@x' FROM generate_series(1, 30) g");
    // Author n has n posts of 10 views each, one of them deleted (not counted).
    sql(
        "INSERT INTO posts (author_id, title, view_count, is_deleted)"
            + " SELECT u, 'p', 10, g = 1 FROM generate_series(1, 30) u, generate_series(1, u) g");
    Map<String, String> config = new HashMap<>(WarmableEntry.EXAMPLE_ENTRIES);
    config.put("cachepipe.warm.user.key", "cp:user:{id}");
    config.put("cachepipe.warm.user.tags", "user:{id}");
    config.put("cachepipe.warm.user.query", "SELECT id, name FROM users WHERE id = :id");
    config.put("cachepipe.warm.latest_posts.key", "cp:latest_posts:{author_id}");
    config.put("cachepipe.warm.latest_posts.tags", "user:{author_id}");
    config.put(
        "cachepipe.warm.latest_posts.query",
        "SELECT id FROM posts WHERE author_id = :author_id AND NOT is_deleted"
            + " ORDER BY id DESC LIMIT 3");
    config.put("cachepipe.warm.latest_posts.shape", "list");
    config.put("cachepipe.warm.post_cards.key", "cp:post_cards:{author_id}");
    config.put("cachepipe.warm.post_cards.tags", "user:{author_id}");
    config.put(
        "cachepipe.warm.post_cards.query",
        "SELECT id, tags, created_at FROM posts WHERE author_id = :author_id AND NOT is_deleted"
            + " ORDER BY id");
    config.put("cachepipe.warm.post_cards.shape", "list");
    kinds = WarmableEntry.from(Settings.of(config));
    cache = CacheClient.create(TestServers.redis().uri());
    redisClient = RedisClient.create(TestServers.redis().uri());
    connection = redisClient.connect();
    redis = connection.sync();
  }

  @AfterAll
  static void stop() {
    if (cache != null) {
      cache.close();
    }
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
  void correctEntriesAreConsistentWhateverTheNumberTypeTheyWereWrittenWith() throws Exception {
    // As an application caches them (longs) ...
    fill("cp:user_stats:1", Map.of("post_count", 0L, "total_views", 0L), "user:1");
    fill("cp:user_stats:2", Map.of("total_views", 10L, "post_count", 1L), "user:2");
    // ... and as the warmer does (its query's row: sum() of a bigint is a numeric).
    fill("cp:user_stats:3", row(kind("user_stats"), "author_id", "3"), "user:3");
    fill("cp:user:4", row(kind("user"), "id", "4"), "user:4");

    AuditResult result = auditor().auditAll(Duration.ZERO);

    assertThat(result.checked()).isEqualTo(4);
    assertThat(result.stale()).isZero();
    assertThat(result.unverifiable()).isZero();
    assertThat(result.consistentFraction()).isEqualTo(1.0);
  }

  @Test
  void aStaleEntryIsReportedWithItsCachedAndTrueValuesAndItsAge() throws Exception {
    fill("cp:user_stats:2", Map.of("post_count", 1L, "total_views", 10L), "user:2");
    plant("cp:user_stats:3", "{\"post_count\":7,\"total_views\":70}", "user:3");

    AuditResult result = auditor().auditAll(Duration.ofMillis(50));

    assertThat(result.checked()).isEqualTo(2);
    assertThat(result.stale()).isEqualTo(1);
    assertThat(result.consistentFraction()).isEqualTo(0.5);
    StaleEntry stale = result.staleEntries().get(0);
    assertThat(stale.key()).isEqualTo("cp:user_stats:3");
    assertThat(stale.kind()).isEqualTo("user_stats");
    assertThat(stale.cached()).isEqualTo(JsonValues.read("{\"post_count\":7,\"total_views\":70}"));
    assertThat(
            JsonValues.same(
                stale.trueValue(), JsonValues.read("{\"post_count\":2,\"total_views\":20}")))
        .as("true value %s", stale.trueValue())
        .isTrue();
    assertThat(stale.ttlRemainingMillis()).isPositive().isLessThanOrEqualTo(TTL.toMillis());
    assertThat(stale.ageMillis()).isNotNull().isBetween(0L, 30_000L);
  }

  @Test
  void anEntryWhoseQueryHasNoRowIsStaleWithANullTrueValue() throws Exception {
    plant("cp:user:999", "{\"id\":999,\"name\":\"gone\"}", "user:999");

    AuditResult result = auditor().auditAll(Duration.ZERO);

    assertThat(result.stale()).isEqualTo(1);
    assertThat(result.staleEntries().get(0).trueValue().isNull()).isTrue();
  }

  @Test
  void aCachedValueThatIsNotJsonIsStaleAndShownAsText() throws Exception {
    plant("cp:user_stats:2", "not json", "user:2");

    AuditResult result = auditor().auditAll(Duration.ZERO);

    assertThat(result.stale()).isEqualTo(1);
    assertThat(result.staleEntries().get(0).cached().asText()).isEqualTo("not json");
  }

  @Test
  void anEntryEvictedDuringTheGracePeriodIsNotStale() throws Exception {
    plant("cp:user_stats:3", "{\"post_count\":7,\"total_views\":70}", "user:3");

    // The invalidation was in flight: it lands while the auditor waits.
    AuditResult result =
        auditor(grace -> redis.unlink("cp:user_stats:3")).auditAll(Duration.ofMillis(1));

    assertThat(result.checked()).isEqualTo(1);
    assertThat(result.stale()).isZero();
  }

  @Test
  void anEntryRefilledWithTheTrueValueDuringTheGracePeriodIsNotStale() throws Exception {
    plant("cp:user_stats:3", "{\"post_count\":7,\"total_views\":70}", "user:3");

    AuditResult result =
        auditor(grace -> redis.set("cp:user_stats:3", "{\"post_count\":2,\"total_views\":20}"))
            .auditAll(Duration.ofMillis(1));

    assertThat(result.stale()).isZero();
  }

  @Test
  void anEntryFilledAgainDuringTheGracePeriodWithAnotherValueIsNotStale() throws Exception {
    // Each look caught a write whose eviction was in flight: two different cached values, each
    // briefly behind PostgreSQL, is churn, not an entry left stale for the grace period.
    plant("cp:user_stats:3", "{\"post_count\":7,\"total_views\":70}", "user:3");

    AuditResult result =
        auditor(grace -> redis.set("cp:user_stats:3", "{\"post_count\":8,\"total_views\":80}"))
            .auditAll(Duration.ofMillis(1));

    assertThat(result.stale()).isZero();
  }

  @Test
  void anEntryStillWrongAfterTheGracePeriodIsStale() throws Exception {
    plant("cp:user_stats:3", "{\"post_count\":7,\"total_views\":70}", "user:3");
    int[] waits = {0};

    AuditResult result = auditor(grace -> waits[0]++).auditAll(Duration.ofMillis(1));

    assertThat(waits[0]).as("one grace period for all suspects").isEqualTo(1);
    assertThat(result.stale()).isEqualTo(1);
  }

  @Test
  void noGracePeriodIsWaitedWhenNothingDiffers() throws Exception {
    fill("cp:user_stats:2", Map.of("post_count", 1L, "total_views", 10L), "user:2");
    int[] waits = {0};

    auditor(grace -> waits[0]++).auditAll(Duration.ofSeconds(10));

    assertThat(waits[0]).isZero();
  }

  @Test
  void anEntryWithSeveralTagsIsCheckedOnceAndOtherKindsAreUnverifiable() throws Exception {
    fill("cp:user_stats:2", Map.of("post_count", 1L, "total_views", 10L), "user:2", "stats");
    fill("cp:user_stats:4", Map.of("post_count", 3L, "total_views", 30L), "user:4", "stats");
    fill("cp:user_posts:4", Map.of("ids", "1,2,3"), "user:4", "stats");
    // Registered, but expired since: neither checked nor counted.
    plant("cp:user_stats:5", "{\"post_count\":0,\"total_views\":0}", "user:5");
    redis.unlink("cp:user_stats:5");

    AuditResult result = auditor().auditAll(Duration.ZERO);

    assertThat(result.checked()).isEqualTo(2);
    assertThat(result.unverifiable()).isEqualTo(1);
    assertThat(result.stale()).isZero();
  }

  @Test
  void aSampleChecksAtMostItsSizeAndFindsTheStaleFraction() throws Exception {
    for (int author = 1; author <= 20; author++) {
      fill(
          "cp:user_stats:" + author,
          row(kind("user_stats"), "author_id", "" + author),
          "user:" + author);
    }
    for (int author = 21; author <= 30; author++) {
      plant("cp:user_stats:" + author, "{\"post_count\":-1,\"total_views\":0}", "user:" + author);
    }
    ConsistencyAuditor auditor = auditor();

    AuditResult small = auditor.auditSample(5, Duration.ZERO, new SplittableRandom(7));
    assertThat(small.checked()).isEqualTo(5);
    assertThat(small.stale()).isBetween(0, 5);

    AuditResult all = auditor.auditSample(1000, Duration.ZERO, new SplittableRandom(7));
    assertThat(all.checked()).isEqualTo(30);
    assertThat(all.stale()).isEqualTo(10);
    assertThat(all.consistentFraction())
        .isCloseTo(2.0 / 3, org.assertj.core.data.Offset.offset(1e-9));

    int stale = 0;
    int checked = 0;
    SplittableRandom random = new SplittableRandom(11);
    for (int i = 0; i < 40; i++) {
      AuditResult r = auditor.auditSample(6, Duration.ZERO, random);
      stale += r.stale();
      checked += r.checked();
    }
    // 240 draws of which a third is stale: 80 expected, sd about 7.
    assertThat(stale).as("stale of %d sampled", checked).isBetween(55, 105);
  }

  @Test
  void aListKindCachedAsTheApplicationReadsItIsConsistentAndACorruptedOneStale() throws Exception {
    fill("cp:latest_posts:5", latestPostIds(5), "user:5");
    fill("cp:latest_posts:1", List.of(), "user:1"); // its one post is deleted: no row, []
    plant("cp:latest_posts:6", "[1,2]", "user:6");

    AuditResult result = auditor().auditAll(Duration.ZERO);

    assertThat(latestPostIds(5)).hasSize(3);
    assertThat(result.checked()).isEqualTo(3);
    assertThat(result.stale()).isEqualTo(1);
    StaleEntry stale = result.staleEntries().get(0);
    assertThat(stale.key()).isEqualTo("cp:latest_posts:6");
    assertThat(stale.kind()).isEqualTo("latest_posts");
    assertThat(stale.cached()).isEqualTo(JsonValues.read("[1,2]"));
    assertThat(stale.trueValue())
        .isEqualTo(JsonValues.read(Json.mapper().writeValueAsString(latestPostIds(6))));
  }

  /** A row of {@code post_cards}, as an application would type and cache it. */
  record PostCard(long id, List<String> tags, @JsonProperty("created_at") String createdAt) {}

  @Test
  void arraysAndTimestampsInAListOfObjectsAreConsistentWithTheApplicationsOwnJson()
      throws Exception {
    sql("UPDATE posts SET tags = ARRAY['sql', 'cache'] WHERE author_id = 4");
    List<PostCard> cards = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT id, tags, created_at FROM posts WHERE author_id = 4 AND NOT is_deleted"
                    + " ORDER BY id")) {
      while (rs.next()) {
        cards.add(
            new PostCard(
                rs.getLong(1),
                List.of((String[]) rs.getArray(2).getArray()),
                rs.getObject(3, OffsetDateTime.class).toInstant().toString()));
      }
    }
    fill("cp:post_cards:4", cards, "user:4");

    AuditResult result = auditor().auditAll(Duration.ZERO);

    assertThat(cards).hasSize(3);
    assertThat(result.checked()).isEqualTo(1);
    assertThat(result.staleEntries()).isEmpty();
    assertThat(redis.get("cp:post_cards:4")).contains("\"tags\":[\"sql\",\"cache\"]");
  }

  @Test
  void anUnreachableDatabaseFailsTheAuditWithOneClearMessage() throws Exception {
    fill("cp:user_stats:2", Map.of("post_count", 1L, "total_views", 10L), "user:2");
    ConsistencyAuditor auditor =
        new ConsistencyAuditor(
            redis,
            () -> DriverManager.getConnection("jdbc:postgresql://127.0.0.1:1/nosuch", "x", "y"),
            kinds);

    assertThatThrownBy(() -> auditor.auditAll(Duration.ZERO))
        .isInstanceOf(AuditException.class)
        .hasMessageStartingWith("cannot connect to PostgreSQL: ")
        .hasMessageNotContaining("\n");
  }

  /**
   * An auditor whose grace period passes at once: what happens during it is what a test's own
   * {@link ConsistencyAuditor.GraceWait} does, so no test waits for time to pass.
   */
  private static ConsistencyAuditor auditor() {
    return auditor(grace -> {});
  }

  private static ConsistencyAuditor auditor(ConsistencyAuditor.GraceWait wait) {
    return new ConsistencyAuditor(
        redis,
        () -> DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password()),
        kinds,
        wait);
  }

  private static WarmableEntry kind(String name) {
    return kinds.stream().filter(k -> k.name().equals(name)).findFirst().orElseThrow();
  }

  /** The entry's value as the warmer computes it. */
  private static JsonNode row(WarmableEntry kind, String param, String value) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
      return kind.compute(c, Map.of(param, value));
    }
  }

  private static List<Long> latestPostIds(long author) throws SQLException {
    List<Long> ids = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT id FROM posts WHERE author_id = "
                    + author
                    + " AND NOT is_deleted ORDER BY id DESC LIMIT 3")) {
      while (rs.next()) {
        ids.add(rs.getLong(1));
      }
    }
    return ids;
  }

  /** Caches {@code value} the way the cache-client and the warmer do: a fenced fill. */
  private static void fill(String key, Object value, String... tags) {
    assertThat(cache.fill(key, cache.versions(List.of(tags)), TTL, value)).isTrue();
  }

  /** Writes {@code json} under {@code key} directly, registered under its tags as a fill is. */
  private static void plant(String key, String json, String... tags) {
    redis.psetex(key, TTL.toMillis(), json);
    for (String tag : tags) {
      long expiry = System.currentTimeMillis() + TTL.toMillis();
      redis.zadd(CacheKeys.tagRegistry(tag), expiry, key);
      redis.pexpireat(CacheKeys.tagRegistry(tag), expiry);
    }
  }

  private static void sql(String statement) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }
}
