package io.cachepipe.pgtools;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.pgtools.DatabaseHealth.Check;
import io.cachepipe.pgtools.DatabaseHealth.ConnectionState;
import io.cachepipe.pgtools.DatabaseHealth.Report;
import io.cachepipe.pgtools.DatabaseHealth.Status;
import io.cachepipe.pgtools.DatabaseHealth.Thresholds;
import io.cachepipe.testing.PostgresFixture;
import io.cachepipe.testing.TestServers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The health report of a quiet database on the shared server, which preloads the extension. */
class DatabaseHealthIT {

  static final String CACHE_HIT_RATIO = "buffer cache hit ratio";
  static final String SLOWEST_MEAN = "slowest statement mean time (ms)";
  static final String CONNECTION_USE = "connection use (of max_connections)";

  private static PostgresFixture.Database database;
  private static Connection db;

  @BeforeAll
  static void createDatabase() throws SQLException {
    database = TestServers.postgres().createDatabase("database_health_it");
    db = connect();
    try (Statement st = db.createStatement()) {
      st.execute("CREATE EXTENSION pg_stat_statements");
      st.execute(
          "SELECT pg_stat_statements_reset(0,"
              + " (SELECT oid FROM pg_database WHERE datname = current_database()), 0)");
    }
  }

  @AfterAll
  static void close() throws SQLException {
    if (db != null) {
      db.close();
    }
  }

  /**
   * A quiet database passes the recipe's thresholds: statistics reset (after this session's were
   * flushed), nothing slow, a few connections. Each threshold failed is in {@link
   * RecipeThresholdsIT}.
   */
  @Test
  void quietDatabasePassesEveryRecipeCheck() throws SQLException {
    try (Statement st = db.createStatement()) {
      st.execute("SELECT pg_stat_force_next_flush()");
      st.execute("SELECT pg_stat_reset()");
      st.execute(
          "SELECT pg_stat_statements_reset(0,"
              + " (SELECT oid FROM pg_database WHERE datname = current_database()), 0)");
    }

    Report report = DatabaseHealth.check(db, Thresholds.RECIPE);

    assertThat(report.checks())
        .extracting(Check::name)
        .containsExactly(CACHE_HIT_RATIO, SLOWEST_MEAN, CONNECTION_USE);
    assertThat(report.checks())
        .as("%s", report.checks())
        .allSatisfy(c -> assertThat(c.status()).isEqualTo(Status.OK));
    assertThat(report.healthy()).isTrue();
    assertThat(check(report, CACHE_HIT_RATIO).value()).isGreaterThan(0.90);
    assertThat(check(report, CACHE_HIT_RATIO).limit()).isEqualTo(0.90);
    assertThat(check(report, SLOWEST_MEAN).value()).isLessThan(100);
    assertThat(check(report, SLOWEST_MEAN).limit()).isEqualTo(100);
    assertThat(check(report, CONNECTION_USE).value()).isLessThan(0.80);
    assertThat(check(report, CONNECTION_USE).limit()).isEqualTo(0.80);
    assertThat(check(report, CONNECTION_USE).detail()).matches("\\d+ of \\d+");
  }

  @Test
  void reportListsThisConnectionAsActive() {
    Report report = DatabaseHealth.check(db, Thresholds.RECIPE);

    assertThat(report.connections())
        .anySatisfy(
            s -> {
              assertThat(s.state()).isEqualTo("active");
              assertThat(s.count()).isGreaterThanOrEqualTo(1);
              assertThat(s.averageAgeSeconds()).isNotNegative();
            });
  }

  @Test
  void anIdleConnectionIsCountedApartFromTheActiveOne() throws SQLException {
    try (Connection idle = connect()) {
      try (Statement st = idle.createStatement()) {
        st.execute("SELECT 1");
      }

      Report report = DatabaseHealth.check(db, Thresholds.RECIPE);

      assertThat(report.connections())
          .extracting(ConnectionState::state)
          .contains("active", "idle")
          .doesNotHaveDuplicates();
    }
  }

  @Test
  void cacheHitRatioAboveOneFailsTheReport() {
    Report report = DatabaseHealth.check(db, new Thresholds(1.01, 100, 0.8));

    assertThat(check(report, CACHE_HIT_RATIO).status()).isEqualTo(Status.FAILED);
    assertThat(check(report, CACHE_HIT_RATIO).detail()).matches("\\d+ hits, \\d+ reads");
    assertThat(report.healthy()).isFalse();
  }

  @Test
  void slowStatementFailsTheMeanTimeCheckAndIsNamed() throws SQLException {
    try (Statement st = db.createStatement()) {
      st.execute("SELECT pg_sleep(0.12)");
    }

    Report report = DatabaseHealth.check(db, new Thresholds(0, 0.0001, 0.8));

    Check slowest = check(report, SLOWEST_MEAN);
    assertThat(slowest.status()).isEqualTo(Status.FAILED);
    assertThat(slowest.value()).isGreaterThanOrEqualTo(100);
    assertThat(slowest.detail()).contains("pg_sleep");
    assertThat(report.healthy()).isFalse();
  }

  @Test
  void connectionUseAboveItsLimitFails() {
    Report report = DatabaseHealth.check(db, new Thresholds(0, 1_000_000, 0.0));

    assertThat(check(report, CONNECTION_USE).status()).isEqualTo(Status.FAILED);
    assertThat(check(report, CACHE_HIT_RATIO).status()).isEqualTo(Status.OK);
    assertThat(check(report, SLOWEST_MEAN).status()).isEqualTo(Status.OK);
    assertThat(report.healthy()).isFalse();
  }

  @Test
  void generousThresholdsMakeAHealthyReport() {
    Report report = DatabaseHealth.check(db, new Thresholds(0, 1_000_000, 1.0));

    assertThat(report.checks()).allSatisfy(c -> assertThat(c.status()).isEqualTo(Status.OK));
    assertThat(report.healthy()).isTrue();
  }

  static Check check(Report report, String name) {
    return report.checks().stream()
        .filter(c -> c.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no check " + name + " in " + report));
  }

  private static Connection connect() throws SQLException {
    return DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
  }
}
