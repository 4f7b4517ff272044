package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.client.CacheClient;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.testing.PostgresFixture.Database;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The proof that a running sidecar works end to end: an entry tagged {@code user:1} is cached, user
 * 1 is updated, and the entry goes. Until the capture streams a commit goes unseen, so entry and
 * commit are tried again until one is evicted.
 */
final class CommitEviction {

  private CommitEviction() {}

  /**
   * Waits until a commit to user 1 of {@code db} (which must have that row) evicts {@code
   * cp:user:1} from the Redis at {@code redisUri}; fails if {@code run} dies first.
   */
  static void observe(SidecarProcess run, Database db, String redisUri, Duration within) {
    RedisClient inspector = RedisClient.create(redisUri);
    try (CacheClient cache = CacheClient.create(redisUri);
        StatefulRedisConnection<String, String> redis = inspector.connect()) {
      String key = CacheKeys.entry("user", 1);
      await("a commit evicts " + key + " (see " + run.log() + ")")
          .atMost(within)
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                assertThat(run.isAlive()).as("run is alive: %s", run.output()).isTrue();
                cache.get(
                    key, List.of("user:1"), Duration.ofHours(1), () -> Map.of("id", 1), Map.class);
                touchUser(db);
                try {
                  await().atMost(Duration.ofSeconds(5)).until(() -> redis.sync().exists(key) == 0);
                  return true;
                } catch (ConditionTimeoutException notYet) {
                  return false;
                }
              });
    } finally {
      inspector.shutdown();
    }
  }

  private static void touchUser(Database db) throws Exception {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute("UPDATE users SET name = 'ada " + System.nanoTime() + "' WHERE id = 1");
    }
  }
}
