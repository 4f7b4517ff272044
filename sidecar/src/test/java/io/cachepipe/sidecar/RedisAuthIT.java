package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.cachepipe.client.CacheClient;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.json.Json;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.invalidator.Invalidator;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.RedisFixture;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redis AUTH through each Redis user of the pipeline, on a real redis-server with requirepass: the
 * right password lets the cache-client fill, the invalidator's evictor evict and the warmer refill;
 * a wrong one stops cachepipe in one line that gives Redis' reason and never the password.
 */
class RedisAuthIT {

  private static final String PASSWORD = "S3cr3t-redis-XYZ";
  private static final String WRONG = "Wr0ng-redis-QQQ";
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static RedisFixture redis;

  @TempDir Path dir;

  @BeforeAll
  static void startRedis() {
    redis = TestServers.redisRequiringPassword(PASSWORD);
  }

  @AfterAll
  static void stopRedis() throws Exception {
    redis.close();
  }

  @Test
  void theRightPasswordWorksForTheCacheClientTheEvictorAndTheWarmer() throws Exception {
    Database db = TestServers.postgres().createDatabase("redis_auth_it");
    Settings settings =
        PipelineTestSettings.of(db, "redis_auth")
            .with(Connections.REDIS_URI.name(), redis.uri())
            .with(Connections.REDIS_PASSWORD.name(), PASSWORD);
    String authenticated = Connections.from(settings).redisUri();
    sql(db, "INSERT INTO users (id, name, email) VALUES (1, 'ada', 'ada@example.com')");
    sql(db, "INSERT INTO posts (id, author_id, title, view_count) VALUES (1, 1, 'hello', 7)");
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    RedisClient inspector = RedisClient.create(authenticated);
    try (Pipeline pipeline =
            Pipeline.start(settings, SidecarConfig.validate(settings), failure::complete);
        CacheClient cache = CacheClient.create(authenticated);
        StatefulRedisConnection<String, String> connection = inspector.connect()) {
      pipeline.awaitReady(WAIT);
      String key = CacheKeys.entry("user_stats", 1);
      // A wrong value, filled through the fenced path: only an eviction and a warm replace it.
      Map<?, ?> filled =
          cache.get(
              key,
              List.of("user:1"),
              Duration.ofHours(1),
              () -> Map.of("post_count", 99, "total_views", 99),
              Map.class);
      assertThat(filled.get("post_count")).isEqualTo(99);
      assertThat(connection.sync().exists(key)).as("the cache-client filled").isEqualTo(1);

      // Until the connector streams, a commit may go unseen: commit again until evicted.
      await("the evictor evicts and the warmer refills, both authenticated")
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                sql(db, "UPDATE users SET name = 'ada " + System.nanoTime() + "' WHERE id = 1");
                String value = connection.sync().get(key);
                return value != null
                    && Json.mapper().readTree(value).get("post_count").asInt() == 1;
              });
      assertThat(pipeline.invalidator().metrics().evictions()).isPositive();
      assertThat(Json.mapper().readTree(connection.sync().get(key)).get("total_views").asInt())
          .isEqualTo(7);
    } finally {
      inspector.shutdown();
    }
    assertThat(failure).as("no stage failed").isNotDone();
  }

  @Test
  void aPasswordInTheUriWorksForTheCacheClient() {
    String uri = redis.uri().replace("redis://", "redis://:" + PASSWORD + "@");
    try (CacheClient cache = CacheClient.create(uri)) {
      String key = CacheKeys.entry("auth_uri", 1);
      cache.get(key, List.of("auth:1"), Duration.ofMinutes(1), () -> Map.of("v", 1), Map.class);
      cache.get(key, List.of("auth:1"), Duration.ofMinutes(1), () -> Map.of("v", 2), Map.class);

      assertThat(cache.stats().hits()).as("the second read was a hit").isEqualTo(1);
    }
  }

  @Test
  void aWrongPasswordFailsTheInvalidatorInOneLineWithoutThePassword() throws Exception {
    Database db = TestServers.postgres().createDatabase("redis_auth_wrong_it");
    Settings settings =
        PipelineTestSettings.of(db, "redis_auth_wrong")
            .with(Connections.REDIS_URI.name(), redis.uri())
            .with(Connections.REDIS_PASSWORD.name(), WRONG);

    assertThatThrownBy(() -> Invalidator.start(settings, e -> {}).close())
        .hasMessageStartingWith(
            "invalidator: cannot connect to Redis at " + masked(redis.uri()) + ": WRONGPASS")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(WRONG, PASSWORD).hasLineCount(1));
  }

  @Test
  void aWrongPasswordStopsRunAtStartInOneLine() throws Exception {
    Path config = dir.resolve("cachepipe.properties");
    Database db = TestServers.postgres().createDatabase("redis_auth_run_it");
    Settings settings =
        PipelineTestSettings.of(db, "redis_auth_run")
            .with(Connections.REDIS_URI.name(), redis.uri());
    Files.writeString(
        config,
        settings.keys().stream()
            .map(k -> k + "=" + settings.raw(k))
            .collect(Collectors.joining("\n")));

    SidecarProcess.Result r =
        SidecarProcess.run(
            dir,
            Map.of("CACHEPIPE_REDIS_PASSWORD", WRONG),
            WAIT,
            "run",
            "--config",
            config.toString());

    assertThat(r.exit()).as(r.err()).isEqualTo(Main.FAILED);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
    assertThat(r.err())
        .startsWith("cachepipe: cannot connect to Redis at " + masked(redis.uri()) + ": WRONGPASS")
        .doesNotContain(WRONG)
        .doesNotContain(PASSWORD);
  }

  /** The URI with a password, as messages show it. */
  private static String masked(String uri) {
    return uri.replace("redis://", "redis://:********@");
  }

  private static void sql(Database db, String statement) throws Exception {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }
}
