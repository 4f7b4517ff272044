package io.cachepipe.warmer;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.client.CacheClient;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.warm.WarmableEntry;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two warmer instances told to recompute the same entry at once (as when an entry with two tags is
 * reported evicted in two partitions, owned by two instances) recompute it one after the other: the
 * entry's warm lease lets one query PostgreSQL at a time, and the other follows. Without the lease
 * (a package-private switch, for this test only) they query at once.
 */
class WarmLeaseIT {

  /** The entry's query takes this long, so that two runs at once would overlap for all of it. */
  private static final String SLOW_QUERY =
      "SELECT CAST(:id AS text) AS id, (SELECT count(*) FROM pg_sleep(0.3)) AS slept";

  private static final String KEY = "cp:slow:7";

  @Test
  void twoInstancesRecomputingOneEntryQueryOneAtATime() throws Exception {
    TwoRecomputes run = recomputeOneEntryOnTwoInstances("warm_lease_it", true);

    assertThat(run.seenRunning()).as("the watcher saw the query run").isPositive();
    assertThat(run.mostAtOnce())
        .as("sessions running the entry's query at once, at most")
        .isEqualTo(1);
    assertThat(run.leaseWaits()).as("recomputes that waited for the other instance's").isEqualTo(1);
    assertThat(run.warmed())
        .as("both recomputed: the one that waited follows, it is not dropped")
        .isEqualTo(2);
    RedisClient inspector = RedisClient.create(TestServers.redis().uri());
    try (StatefulRedisConnection<String, String> redis = inspector.connect()) {
      assertThat(redis.sync().get(KEY)).contains("\"id\":\"7\"");
      assertThat(redis.sync().exists(WarmLease.key(KEY))).as("the lease is released").isZero();
    } finally {
      inspector.shutdown();
    }
  }

  /**
   * The control: without the lease the same two recomputes query at once. If they ever stop doing
   * so, the test above no longer shows what the lease does.
   */
  @Test
  void withoutTheLeaseBothInstancesQueryAtOnce() throws Exception {
    TwoRecomputes run = recomputeOneEntryOnTwoInstances("warm_unleased_it", false);

    assertThat(run.mostAtOnce())
        .as("sessions running the entry's query at once, at most")
        .isEqualTo(2);
    assertThat(run.leaseWaits()).isZero();
  }

  /** What two instances recomputing one entry at once did. */
  private record TwoRecomputes(int mostAtOnce, int seenRunning, long leaseWaits, long warmed) {}

  private static TwoRecomputes recomputeOneEntryOnTwoInstances(String database, boolean leased)
      throws Exception {
    Database db = TestServers.postgres().createDatabase(database);
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
    Map<String, String> params = entry.match(KEY).orElseThrow();
    assertThat(entry.tagsFor(params)).isEqualTo(List.of("item:7", "shelf:7"));
    TestServers.redis().flushAll();

    try (CacheClient firstCache = CacheClient.builder().connections(connections).build();
        CacheClient secondCache = CacheClient.builder().connections(connections).build();
        EntryRecomputer first =
            new EntryRecomputer(firstCache, connections, 1, Duration.ofSeconds(5), leased);
        EntryRecomputer second =
            new EntryRecomputer(secondCache, connections, 1, Duration.ofSeconds(5), leased);
        Connection watcher = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
      CompletableFuture<Void> a =
          CompletableFuture.runAsync(() -> first.recompute(entry, KEY, params));
      CompletableFuture<Void> b =
          CompletableFuture.runAsync(() -> second.recompute(entry, KEY, params));
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
      return new TwoRecomputes(
          mostAtOnce,
          seenRunning,
          first.leaseWaits.sum() + second.leaseWaits.sum(),
          first.warmed.sum() + second.warmed.sum());
    }
  }
}
