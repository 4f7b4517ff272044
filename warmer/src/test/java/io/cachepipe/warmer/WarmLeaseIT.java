package io.cachepipe.warmer;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.client.CacheClient;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two warmer instances told to recompute the same entry at once (as when an entry with two tags is
 * reported evicted in two partitions, owned by two instances) recompute it one after the other: the
 * entry's warm lease lets one query PostgreSQL at a time, and the other follows.
 */
class WarmLeaseIT {

  /** The entry's query takes this long, so that two runs at once would overlap for all of it. */
  private static final String SLOW_QUERY =
      "SELECT CAST(:id AS text) AS id, (SELECT count(*) FROM pg_sleep(0.3)) AS slept";

  @Test
  void twoInstancesRecomputingOneEntryQueryOneAtATime() throws Exception {
    Database db = TestServers.postgres().createDatabase("warm_lease_it");
    Settings settings =
        Settings.of(
            Map.of(
                "cachepipe.postgres.url",
                db.jdbcUrl(),
                "cachepipe.postgres.user",
                db.user(),
                "cachepipe.postgres.password",
                db.password(),
                "cachepipe.redis.uri",
                TestServers.redis().uri(),
                "cachepipe.warm.slow.key",
                "cp:slow:{id}",
                "cachepipe.warm.slow.tags",
                "item:{id},shelf:{id}",
                "cachepipe.warm.slow.query",
                SLOW_QUERY,
                "cachepipe.warm.slow.ttl.ms",
                "60000"));
    WarmableEntry entry = WarmableEntry.from(settings).get(0);
    Connections connections = Connections.from(settings);
    String key = "cp:slow:7";
    Map<String, String> params = entry.match(key).orElseThrow();
    TestServers.redis().flushAll();

    try (CacheClient firstCache = CacheClient.create(connections);
        CacheClient secondCache = CacheClient.create(connections);
        EntryRecomputer first = new EntryRecomputer(firstCache, connections, 1);
        EntryRecomputer second = new EntryRecomputer(secondCache, connections, 1);
        Connection watcher = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
      CompletableFuture<Void> a =
          CompletableFuture.runAsync(() -> first.recompute(entry, key, params));
      CompletableFuture<Void> b =
          CompletableFuture.runAsync(() -> second.recompute(entry, key, params));
      CompletableFuture<Void> both = CompletableFuture.allOf(a, b);

      // Watches PostgreSQL for the entry's query running in more than one session at once.
      int mostAtOnce = 0;
      int seenRunning = 0;
      try (PreparedStatement running =
          watcher.prepareStatement(
              "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                  + " AND query LIKE '%pg_sleep(0.3)%' AND pid <> pg_backend_pid()")) {
        while (!both.isDone()) {
          try (ResultSet rs = running.executeQuery()) {
            rs.next();
            int now = rs.getInt(1);
            mostAtOnce = Math.max(mostAtOnce, now);
            seenRunning += now > 0 ? 1 : 0;
          }
        }
      }
      both.get(30, TimeUnit.SECONDS);

      assertThat(seenRunning).as("the watcher saw the query run").isPositive();
      assertThat(mostAtOnce).as("sessions running the entry's query at once, at most").isEqualTo(1);
      assertThat(first.leaseWaits.sum() + second.leaseWaits.sum())
          .as("recomputes that waited for the other instance's")
          .isEqualTo(1);
      assertThat(first.warmed.sum() + second.warmed.sum())
          .as("both recomputed: the one that waited follows, it is not dropped")
          .isEqualTo(2);
      RedisClient inspector = RedisClient.create(TestServers.redis().uri());
      try (StatefulRedisConnection<String, String> redis = inspector.connect()) {
        assertThat(redis.sync().get(key)).contains("\"id\":\"7\"");
        assertThat(redis.sync().exists(CacheKeys.warmLease(key)))
            .as("the lease is released")
            .isZero();
      } finally {
        inspector.shutdown();
      }
      assertThat(entry.tagsFor(params)).isEqualTo(List.of("item:7", "shelf:7"));
    }
  }
}
