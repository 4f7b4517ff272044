package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cachepipe.client.CacheClient;
import io.cachepipe.core.json.Json;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code cachepipe audit} against a real PostgreSQL and Redis (no pipeline: entries are planted).
 */
class AuditCommandIT {

  private static final Duration TTL = Duration.ofMinutes(5);

  private static Database db;
  private static CacheClient cache;
  private static RedisClient redisClient;
  private static StatefulRedisConnection<String, String> connection;
  private static RedisCommands<String, String> redis;
  private static Path exampleKindsConfig;

  @BeforeAll
  static void seed() throws Exception {
    db = TestServers.postgres().createDatabase("audit_command_it");
    sql(
        "INSERT INTO users (id, name, email)"
            + " SELECT g, 'user ' || g, 'u' || g || '@x' FROM generate_series(1, 4) g");
    // Author n has n posts with 10 * n views each.
    sql(
        "INSERT INTO posts (author_id, title, view_count)"
            + " SELECT u, 'p', 10 * u FROM generate_series(1, 4) u, generate_series(1, u) g");
    exampleKindsConfig = Files.createTempFile("audit-it-example", ".properties");
    Files.writeString(exampleKindsConfig, "cachepipe.warm.defaults=example\n");
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
  void aStaleEntryFailsTheAuditUntilItIsFixed() throws Exception {
    for (long author = 1; author <= 3; author++) {
      readStats(author); // correct entries, cached as the application does
    }
    // One stale entry, registered under its tag as a fill would.
    String stale = "{\"post_count\":99,\"total_views\":1}";
    redis.psetex("cp:user_stats:4", TTL.toMillis(), stale);
    long expiry = System.currentTimeMillis() + TTL.toMillis();
    redis.zadd(CacheKeys.tagRegistry("user:4"), expiry, "cp:user_stats:4");
    redis.pexpireat(CacheKeys.tagRegistry("user:4"), expiry);

    Result found =
        run(
            "audit",
            "--json",
            "--grace",
            "200ms",
            exampleKinds(),
            "--redis",
            redisUri(),
            pgUrl(),
            pgUser(),
            pgPassword());

    assertThat(found.exit).as(found.err).isEqualTo(Main.FAILED);
    JsonNode report = lastLine(found.out);
    assertThat(report.get("checked").asInt()).isEqualTo(4);
    assertThat(report.get("stale").asInt()).isEqualTo(1);
    assertThat(report.get("unverifiable").asInt()).isZero();
    assertThat(report.get("consistent_fraction").asDouble()).isEqualTo(0.75);
    assertThat(report.get("grace_ms").asLong()).isEqualTo(200);
    JsonNode entry = report.get("stale_entries").get(0);
    assertThat(report.get("stale_entries")).hasSize(1);
    assertThat(entry.get("key").asText()).isEqualTo("cp:user_stats:4");
    assertThat(entry.get("kind").asText()).isEqualTo("user_stats");
    assertThat(entry.get("cached")).isEqualTo(Json.mapper().readTree(stale));
    assertThat(entry.get("true_value").get("post_count").asLong()).isEqualTo(4);
    assertThat(entry.get("true_value").get("total_views").asLong()).isEqualTo(160);
    assertThat(entry.get("age_ms").asLong()).isBetween(0L, 60_000L);
    assertThat(entry.get("ttl_remaining_ms").asLong()).isPositive();

    Result text =
        run(
            "audit",
            "--grace",
            "0s",
            exampleKinds(),
            "--redis",
            redisUri(),
            pgUrl(),
            pgUser(),
            pgPassword());
    System.out.println(text.out);
    assertThat(text.exit).isEqualTo(Main.FAILED);
    assertThat(text.out)
        .contains("STALE cp:user_stats:4: cached " + stale)
        .contains("4 entries checked against PostgreSQL: 1 stale");

    // Fixed, as the next eviction and fill would; the configuration file names the servers now.
    redis.set(
        "cp:user_stats:4", "{\"total_views\":160,\"post_count\":4}", SetArgs.Builder.keepttl());
    Path config = Files.createTempFile("audit-it", ".properties");
    Files.writeString(
        config,
        "cachepipe.postgres.url="
            + db.jdbcUrl()
            + "\ncachepipe.postgres.user="
            + db.user()
            + "\ncachepipe.postgres.password="
            + db.password()
            + "\ncachepipe.redis.uri="
            + redisUri()
            + "\ncachepipe.warm.defaults=example\n");
    Result fixed = run("audit", "--json", "--config", config.toString());

    assertThat(fixed.exit).as(fixed.err + fixed.out).isZero();
    JsonNode clean = lastLine(fixed.out);
    assertThat(clean.get("checked").asInt()).isEqualTo(4);
    assertThat(clean.get("stale").asInt()).isZero();
    assertThat(clean.get("stale_entries")).isEmpty();
    assertThat(clean.get("consistent_fraction").asDouble()).isEqualTo(1.0);
  }

  @Test
  void aSampleChecksAtMostItsSize() throws Exception {
    for (long author = 1; author <= 4; author++) {
      readStats(author);
    }

    Result r =
        run(
            "audit",
            "--json",
            "--sample",
            "2",
            exampleKinds(),
            "--redis",
            redisUri(),
            pgUrl(),
            pgUser(),
            pgPassword());

    assertThat(r.exit).as(r.err).isZero();
    JsonNode report = lastLine(r.out);
    assertThat(report.get("checked").asInt()).isEqualTo(2);
    assertThat(report.get("sample").asInt()).isEqualTo(2);
  }

  @Test
  void anUnreachableRedisIsOneClearLine() {
    Result r = run("audit", "--redis", "redis://127.0.0.1:1", pgUrl(), pgUser(), pgPassword());

    assertThat(r.exit).isEqualTo(Main.FAILED);
    assertThat(r.err.strip().lines()).hasSize(1);
    assertThat(r.err).startsWith("cachepipe: cannot connect to Redis at redis://127.0.0.1:1: ");
    assertThat(r.out).isEmpty();
  }

  @Test
  void aBadPostgresUrlIsOneClearLine() {
    readStats(1);

    Result r =
        run(
            "audit",
            "--redis",
            redisUri(),
            "--pg-url",
            "jdbc:postgresql://127.0.0.1:1/nosuch",
            pgUser());

    assertThat(r.exit).isEqualTo(Main.FAILED);
    assertThat(r.err.strip().lines()).hasSize(1);
    assertThat(r.err)
        .startsWith("cachepipe: cannot connect to jdbc:postgresql://127.0.0.1:1/nosuch as ");
  }

  @Test
  void aMistypedConfigurationKeyIsAConfigurationError() throws Exception {
    Path config = Files.createTempFile("audit-it-typo", ".properties");
    Files.writeString(config, "cachepipe.redis.uir=" + redisUri() + "\n");

    Result r = run("audit", "--config", config.toString());

    assertThat(r.exit).isEqualTo(Main.BAD_CONFIG);
    assertThat(r.err).contains("cachepipe.redis.uir");
  }

  @Test
  void aListKindDeclaredOnlyInTheConfigurationIsAuditedAsAList() throws Exception {
    Path config = Files.createTempFile("audit-it-list", ".properties");
    Files.writeString(
        config,
        String.join(
            "\n",
            "cachepipe.warm.latest_posts.key=cp:latest_posts:{author_id}",
            "cachepipe.warm.latest_posts.tags=user:{author_id}",
            "cachepipe.warm.latest_posts.query=SELECT id FROM posts WHERE author_id = :author_id"
                + " ORDER BY id DESC LIMIT 2",
            "cachepipe.warm.latest_posts.shape=list",
            ""));
    cache.get(
        "cp:latest_posts:3",
        List.of("user:3"),
        TTL,
        () -> postIds(3).subList(0, 2).toArray(Long[]::new),
        Long[].class);
    redis.psetex("cp:latest_posts:4", TTL.toMillis(), "[1]");
    long latestExpiry = System.currentTimeMillis() + TTL.toMillis();
    redis.zadd(CacheKeys.tagRegistry("user:4"), latestExpiry, "cp:latest_posts:4");
    readStats(2); // of the example's kind, which is not declared here

    Result r =
        run(
            "audit",
            "--json",
            "--grace",
            "0s",
            "--config",
            config.toString(),
            "--redis",
            redisUri(),
            pgUrl(),
            pgUser(),
            pgPassword());

    assertThat(r.exit).as(r.err).isEqualTo(Main.FAILED);
    JsonNode report = lastLine(r.out);
    assertThat(report.get("checked").asInt()).isEqualTo(2);
    assertThat(report.get("unverifiable").asInt()).isEqualTo(1);
    JsonNode stale = report.get("stale_entries").get(0);
    assertThat(report.get("stale_entries")).hasSize(1);
    assertThat(stale.get("key").asText()).isEqualTo("cp:latest_posts:4");
    assertThat(stale.get("kind").asText()).isEqualTo("latest_posts");
    assertThat(stale.get("cached")).isEqualTo(Json.mapper().readTree("[1]"));
    assertThat(stale.get("true_value"))
        .hasToString(Json.mapper().writeValueAsString(postIds(4).subList(0, 2)));
  }

  @Test
  void anAuditWithoutAnyWarmKindSaysSo() {
    readStats(1);

    Result r = run("audit", "--redis", redisUri(), pgUrl(), pgUser(), pgPassword());

    assertThat(r.exit).as(r.err).isZero();
    assertThat(r.err).contains("no warm kind is configured").contains("cachepipe.warm.defaults");
    assertThat(r.out).contains("0 entries checked").contains("1 of other kinds unverifiable");
  }

  /** The configuration that turns the example's user_stats kind on. */
  private static String exampleKinds() {
    return "--config=" + exampleKindsConfig;
  }

  /** An author's post ids, newest (highest) first. */
  private static List<Long> postIds(long author) throws SQLException {
    List<Long> ids = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT id FROM posts WHERE author_id = " + author + " ORDER BY id DESC")) {
      while (rs.next()) {
        ids.add(rs.getLong(1));
      }
    }
    return ids;
  }

  /** The user's stats through the cache-client, as the demo application reads them. */
  private static void readStats(long author) {
    cache.get(
        CacheKeys.entry("user_stats", author),
        List.of("user:" + author),
        TTL,
        () -> stats(author),
        Map.class);
  }

  private static Map<String, Long> stats(long author) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        PreparedStatement st =
            c.prepareStatement(
                "SELECT count(*), coalesce(sum(view_count), 0) FROM posts"
                    + " WHERE author_id = ? AND is_deleted = false")) {
      st.setLong(1, author);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return Map.of("post_count", rs.getLong(1), "total_views", rs.getLong(2));
      }
    }
  }

  private static String redisUri() {
    return TestServers.redis().uri();
  }

  private static String pgUrl() {
    return "--pg-url=" + db.jdbcUrl();
  }

  private static String pgUser() {
    return "--pg-user=" + db.user();
  }

  private static String pgPassword() {
    return "--pg-password=" + db.password();
  }

  private static JsonNode lastLine(String out) throws Exception {
    List<String> lines = new ArrayList<>(out.lines().toList());
    assertThat(lines).as(out).isNotEmpty();
    return Json.mapper().readTree(lines.get(lines.size() - 1));
  }

  private record Result(int exit, String out, String err) {}

  private static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new Result(exit, out.toString(), err.toString());
  }

  private static void sql(String statement) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }
}
