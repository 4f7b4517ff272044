package io.cachepipe.sidecar.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.cachepipe.core.config.Settings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The database's health figures as gauges, on a real PostgreSQL with pg_stat_statements. */
class DatabaseGaugesIT {

  @Test
  void healthChecksConnectionsAndIndexUsageBecomeGauges() throws Exception {
    Database db = TestServers.postgres().createDatabase("database_gauges_it");
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
      st.execute(
          "SELECT pg_stat_statements_reset(0,"
              + " (SELECT oid FROM pg_database WHERE datname = current_database()), 0)");
      st.execute("INSERT INTO users (id, name, email) VALUES (1, 'a', 'a@x')");
      st.execute("SELECT * FROM users WHERE id = 1");
      st.execute("SELECT pg_sleep(0.2)"); // the slowest statement, by far
    }
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    DatabaseGauges gauges =
        new DatabaseGauges(
            Settings.of(
                Map.of(
                    "cachepipe.postgres.url", db.jdbcUrl(),
                    "cachepipe.postgres.user", db.user(),
                    "cachepipe.postgres.password", db.password())),
            registry);

    gauges.refresh();

    double hitRatio =
        registry
            .get("cachepipe.db.check.value")
            .tag("check", "buffer cache hit ratio")
            .gauge()
            .value();
    assertThat(hitRatio)
        .as("hits / (hits + reads) of pg_stat_database, read again just after")
        .isCloseTo(hitRatioNow(db), within(0.05));
    assertThat(
            registry
                .get("cachepipe.db.check.limit")
                .tag("check", "buffer cache hit ratio")
                .gauge()
                .value())
        .isEqualTo(0.90);
    assertThat(
            registry
                .get("cachepipe.db.check.ok")
                .tag("check", "connection use (of max_connections)")
                .gauge()
                .value())
        .isEqualTo(1.0);
    assertThat(
            registry
                .get("cachepipe.db.check.value")
                .tag("check", "slowest statement mean time (ms)")
                .gauge()
                .value())
        .as("the mean of the slowest statement, pg_sleep(0.2), as pg_stat_statements has it")
        .isEqualTo(meanOfTheSleep(db))
        .isGreaterThanOrEqualTo(200);
    assertThat(registry.get("cachepipe.db.connections").gauges())
        .as("at least the probe's own connection")
        .anySatisfy(g -> assertThat(g.value()).isGreaterThanOrEqualTo(1));
    assertThat(
            registry
                .get("cachepipe.db.index.unused")
                .tag("index", "posts_author_stats_idx")
                .gauge()
                .value())
        .as("no query used the stats index yet")
        .isEqualTo(1.0);
    assertThat(registry.get("cachepipe.db.probe.failures").gauge().value()).isZero();
  }

  private static double hitRatioNow(Database db) throws Exception {
    return valueOf(
        db,
        "buffer hits / (hits + reads) of this database",
        "SELECT blks_hit::float8 / NULLIF(blks_hit + blks_read, 0) FROM pg_stat_database"
            + " WHERE datname = current_database()");
  }

  private static double meanOfTheSleep(Database db) throws Exception {
    return valueOf(
        db,
        "pg_sleep in pg_stat_statements",
        "SELECT mean_exec_time FROM pg_stat_statements WHERE query LIKE 'SELECT pg_sleep%'"
            + " AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())");
  }

  /** The one value {@code sql} answers in {@code db}, which must be there and not null. */
  private static double valueOf(Database db, String what, String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      assertThat(rs.next()).as(what).isTrue();
      double value = rs.getDouble(1);
      assertThat(rs.wasNull()).as(what).isFalse();
      return value;
    }
  }

  @Test
  void theGaugesOfADroppedIndexAreRemoved() throws Exception {
    Database db = TestServers.postgres().createDatabase("database_gauges_drop_it");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    DatabaseGauges gauges =
        new DatabaseGauges(
            Settings.of(
                Map.of(
                    "cachepipe.postgres.url", db.jdbcUrl(),
                    "cachepipe.postgres.user", db.user(),
                    "cachepipe.postgres.password", db.password())),
            registry);
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute("CREATE INDEX users_name_idx ON users (name)");
      gauges.refresh();
      assertThat(registry.find("cachepipe.db.index.scans").tag("index", "users_name_idx").gauge())
          .isNotNull();

      st.execute("DROP INDEX users_name_idx");
      gauges.refresh();
    }

    for (String meter :
        java.util.List.of(
            "cachepipe.db.index.scans",
            "cachepipe.db.index.size.bytes",
            "cachepipe.db.index.unused")) {
      assertThat(registry.find(meter).tag("index", "users_name_idx").gauges()).as(meter).isEmpty();
    }
    assertThat(registry.find("cachepipe.db.index.scans").tag("index", "posts_pkey").gauge())
        .isNotNull();
  }

  @Test
  void anUnreachableDatabaseCountsAFailureAndThrowsNothing() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    DatabaseGauges gauges =
        new DatabaseGauges(
            Settings.of(
                Map.of(
                    "cachepipe.postgres.url", "jdbc:postgresql://127.0.0.1:1/none?connectTimeout=2",
                    "cachepipe.postgres.user", "nobody")),
            registry);

    gauges.refresh();

    assertThat(registry.get("cachepipe.db.probe.failures").gauge().value()).isEqualTo(1);
  }
}
