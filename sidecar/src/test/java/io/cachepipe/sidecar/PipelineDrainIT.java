package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.client.CacheClient;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.testing.PipelineTestSettings;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A drained pipeline has applied every eviction of what was committed before the drain's point,
 * also one that the invalidator's coalescer still holds once every consumer group has caught up: a
 * hot tag's second invalidation waits up to {@code cachepipe.invalidator.coalesce.max.delay.ms} (20
 * ms by default, and on a loaded machine its wall-clock punctuation comes later still). Here the
 * delay is 5 s, so the drain must wait for it.
 */
class PipelineDrainIT {

  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void aDrainWaitsForAnEvictionTheCoalescerHolds() throws Exception {
    Database db = TestServers.postgres().createDatabase("drain_it");
    sql(db, "INSERT INTO users (id, name, email) VALUES (1, 'a', 'a@x'), (2, 'b', 'b@x')");
    Map<String, String> values = PipelineTestSettings.values(db, "drain");
    values.put("cachepipe.invalidator.coalesce.max.delay.ms", "5000");
    Settings settings = Settings.of(values);
    String redisUri = TestServers.redis().uri();
    TestServers.redis().flushAll();
    String key = CacheKeys.entry("user", 1);

    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    RedisClient inspector = RedisClient.create(redisUri);
    try (Pipeline pipeline =
            Pipeline.start(settings, SidecarConfig.validate(settings), failure::complete);
        CacheClient cache = CacheClient.create(redisUri);
        StatefulRedisConnection<String, String> connection = inspector.connect()) {
      pipeline.capture().awaitStarted(WAIT);
      pipeline.awaitReady(WAIT);
      RedisCommands<String, String> redis = connection.sync();
      cache(cache, key);
      // The tag's first invalidation passes at once and opens its coalescing window.
      sql(db, "UPDATE users SET name = 'first' WHERE id = 1");
      await("the first eviction").atMost(WAIT).until(() -> redis.exists(key) == 0);
      cache(cache, key);
      assertThat(redis.exists(key)).as("cached again after the first eviction").isEqualTo(1);

      // The second one, inside the window, is held.
      sql(db, "UPDATE users SET name = 'second' WHERE id = 1");
      long lsn = currentLsn(db);
      sql(db, "UPDATE users SET name = 'marker' WHERE id = 2"); // a change after the point
      long started = System.nanoTime();
      try (PipelineDrain drain = new PipelineDrain(settings, pipeline)) {
        drain.await(lsn, WAIT);
      }
      long drainedMillis = (System.nanoTime() - started) / 1_000_000;

      assertThat(redis.exists(key))
          .as(
              "%s after a drain of %d ms: the held eviction of user:1 is applied",
              key, drainedMillis)
          .isZero();
      assertThat(failure).as("no stage failed").isNotDone();
    } finally {
      inspector.shutdown();
    }
  }

  private static void cache(CacheClient cache, String key) {
    cache.get(key, List.of("user:1"), Duration.ofHours(1), () -> Map.of("id", 1), Map.class);
  }

  private static long currentLsn(Database db) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void sql(Database db, String statement) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }
}
