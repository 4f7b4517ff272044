package io.cachepipe.sidecar.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.core.config.Settings;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.servers.FreePort;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The sidecar's continuous audit on real PostgreSQL and Redis, one sample at a time. */
class ContinuousAuditIT {

  @Test
  void publishesTheFractionOfASampleThatMatchesPostgresAndCountsStaleEntries() throws Exception {
    Database db = TestServers.postgres().createDatabase("continuous_audit_it");
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute("INSERT INTO users (id, name, email) VALUES (1, 'a', 'a@x'), (2, 'b', 'b@x')");
      st.execute(
          "INSERT INTO posts (author_id, title, view_count) VALUES (1, 'p', 5), (1, 'q', 7),"
              + " (2, 'r', 3)");
    }
    TestServers.redis().flushAll();
    RedisClient client = RedisClient.create(TestServers.redis().uri());
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      var redis = connection.sync();
      plant(redis, 1, "{\"post_count\":2,\"total_views\":12}"); // true
      plant(redis, 2, "{\"post_count\":1,\"total_views\":999}"); // stale: 3 views

      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      Settings settings =
          Settings.of(
              Map.of(
                  "cachepipe.postgres.url", db.jdbcUrl(),
                  "cachepipe.postgres.user", db.user(),
                  "cachepipe.postgres.password", db.password(),
                  "cachepipe.redis.uri", TestServers.redis().uri(),
                  "cachepipe.audit.interval.ms", "3600000", // this test runs it itself
                  "cachepipe.audit.grace.ms", "0",
                  "cachepipe.warm.defaults", "example"));
      try (ContinuousAudit audit = ContinuousAudit.startIfConfigured(settings, registry)) {
        assertThat(registry.get("cachepipe.audit.consistent.fraction").gauge().value()).isNaN();

        audit.auditOnce();

        assertThat(registry.get("cachepipe.audit.consistent.fraction").gauge().value())
            .isEqualTo(0.5);
        assertThat(entries(registry, "consistent")).isEqualTo(1);
        assertThat(entries(registry, "stale")).isEqualTo(1);

        redis.set(CacheKeys.entry("user_stats", 2), "{\"post_count\":1,\"total_views\":3}");
        audit.auditOnce();

        assertThat(registry.get("cachepipe.audit.consistent.fraction").gauge().value())
            .isEqualTo(1.0);
        assertThat(entries(registry, "consistent")).isEqualTo(3);
        assertThat(entries(registry, "stale")).isEqualTo(1);
      }
    } finally {
      client.shutdown();
    }
  }

  @Test
  void auditsAListKindDeclaredInTheConfigurationAsTheCommandDoes() throws Exception {
    Database db = TestServers.postgres().createDatabase("continuous_audit_list_it");
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute("INSERT INTO users (id, name, email) VALUES (1, 'a', 'a@x')");
      st.execute("INSERT INTO posts (id, author_id, title) VALUES (10, 1, 'p'), (11, 1, 'q')");
    }
    TestServers.redis().flushAll();
    RedisClient client = RedisClient.create(TestServers.redis().uri());
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      var redis = connection.sync();
      redis.set("cp:post_ids:1", "[11,10]");
      redis.zadd(
          CacheKeys.tagRegistry("user:1"), System.currentTimeMillis() + 60_000, "cp:post_ids:1");
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      Settings settings =
          Settings.of(
              Map.of(
                  "cachepipe.postgres.url", db.jdbcUrl(),
                  "cachepipe.postgres.user", db.user(),
                  "cachepipe.postgres.password", db.password(),
                  "cachepipe.redis.uri", TestServers.redis().uri(),
                  "cachepipe.audit.interval.ms", "3600000",
                  "cachepipe.audit.grace.ms", "0",
                  "cachepipe.warm.post_ids.key", "cp:post_ids:{author_id}",
                  "cachepipe.warm.post_ids.tags", "user:{author_id}",
                  "cachepipe.warm.post_ids.query",
                      "SELECT id FROM posts WHERE author_id = :author_id ORDER BY id DESC",
                  "cachepipe.warm.post_ids.shape", "list"));
      try (ContinuousAudit audit = ContinuousAudit.startIfConfigured(settings, registry)) {
        audit.auditOnce();
        assertThat(entries(registry, "consistent")).isEqualTo(1);

        redis.set("cp:post_ids:1", "[10,11]"); // the wrong order is another list
        audit.auditOnce();
        assertThat(entries(registry, "stale")).isEqualTo(1);
        assertThat(audit.lastFraction()).isZero();
      }
    } finally {
      client.shutdown();
    }
  }

  @Test
  void isOffByDefaultEvenWithWarmKindsToAudit() {
    Settings kinds = Settings.of(Map.of("cachepipe.warm.defaults", "example"));

    assertThat(ContinuousAudit.startIfConfigured(kinds, new SimpleMeterRegistry())).isNull();
  }

  @Test
  void startsWithoutRedisAndCountsTheAuditsThatCouldNotRun() {
    Settings settings =
        Settings.of(
            Map.of(
                "cachepipe.audit.interval.ms",
                "3600000",
                "cachepipe.warm.defaults",
                "example",
                "cachepipe.redis.uri",
                "redis://127.0.0.1:" + FreePort.pick()));
    SimpleMeterRegistry registry = new SimpleMeterRegistry();

    try (ContinuousAudit audit = ContinuousAudit.startIfConfigured(settings, registry)) {
      audit.auditOnce();

      assertThat(registry.get("cachepipe.audit.failures").functionCounter().count()).isEqualTo(1);
    }
  }

  @Test
  void isOffWhenNoWarmKindIsConfigured() {
    Settings settings = Settings.of(Map.of("cachepipe.audit.interval.ms", "1000"));
    assertThat(ContinuousAudit.startIfConfigured(settings, new SimpleMeterRegistry())).isNull();
  }

  @Test
  void isOffWhenItsIntervalIsZero() {
    Settings settings = Settings.of(Map.of("cachepipe.audit.interval.ms", "0"));
    assertThat(ContinuousAudit.startIfConfigured(settings, new SimpleMeterRegistry())).isNull();
  }

  private static void plant(
      io.lettuce.core.api.sync.RedisCommands<String, String> redis, long author, String json) {
    String key = CacheKeys.entry("user_stats", author);
    redis.set(key, json);
    redis.zadd(
        CacheKeys.tagRegistry("user:" + author), System.currentTimeMillis() + 86_400_000, key);
  }

  private static double entries(SimpleMeterRegistry registry, String result) {
    return registry.get("cachepipe.audit.entries").tag("result", result).functionCounter().count();
  }
}
