package io.cachepipe.pgtools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cachepipe.pgtools.SlowQueries.SlowStatement;
import io.cachepipe.testing.PostgresFixture;
import io.cachepipe.testing.TestServers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The slowest statements of a database, on the shared server that preloads the extension. */
class SlowQueriesIT {

  private static final int SLOW_CALLS = 3;

  private static Connection db;

  @BeforeAll
  static void runSlowAndFastStatements() throws SQLException {
    PostgresFixture.Database database = TestServers.postgres().createDatabase("slow_queries_it");
    db = connect(database);
    try (Statement st = db.createStatement()) {
      st.execute("CREATE EXTENSION pg_stat_statements");
      // Only this database's statements, so the migration's do not compete with pg_sleep.
      st.execute(
          "SELECT pg_stat_statements_reset(0,"
              + " (SELECT oid FROM pg_database WHERE datname = current_database()), 0)");
      for (int i = 0; i < SLOW_CALLS; i++) {
        st.execute("SELECT pg_sleep(0.12)");
      }
      st.execute("SELECT count(*) FROM users");
    }
  }

  @AfterAll
  static void close() throws SQLException {
    if (db != null) {
      db.close();
    }
  }

  @Test
  void slowStatementIsListedFirstWithItsCallsAndMean() {
    List<SlowStatement> top = SlowQueries.top(db, 5, 100);

    assertThat(top).isNotEmpty();
    SlowStatement first = top.get(0);
    assertThat(first.query()).contains("pg_sleep");
    assertThat(first.calls()).isGreaterThanOrEqualTo(SLOW_CALLS);
    assertThat(first.meanMs()).isGreaterThanOrEqualTo(100);
    // total = mean x calls, up to the rounding of PostgreSQL's doubles
    assertThat(first.totalMs()).isGreaterThanOrEqualTo(first.meanMs() * SLOW_CALLS * (1 - 1e-9));
  }

  @Test
  void minimumMeanFiltersOutFasterStatements() {
    List<SlowStatement> everything = SlowQueries.top(db, 50, 0);
    List<SlowStatement> slow = SlowQueries.top(db, 50, 100);

    assertThat(everything).anyMatch(s -> s.query().contains("count(*) FROM users"));
    assertThat(slow).noneMatch(s -> s.query().contains("count(*) FROM users"));
    assertThat(slow).allMatch(s -> s.meanMs() >= 100);
    assertThat(slow).hasSizeLessThan(everything.size());
  }

  @Test
  void limitCapsTheList() {
    assertThat(SlowQueries.top(db, 50, 0)).hasSizeGreaterThan(1);

    assertThat(SlowQueries.top(db, 1, 0)).hasSize(1);
  }

  @Test
  void statementsAreOrderedSlowestMeanFirst() {
    List<Double> means = SlowQueries.top(db, 50, 0).stream().map(SlowStatement::meanMs).toList();

    assertThat(means).isSortedAccordingTo((a, b) -> Double.compare(b, a));
  }

  @Test
  void databaseWithoutTheExtensionSaysToCreateIt() throws SQLException {
    PostgresFixture.Database empty =
        TestServers.postgres().createEmptyDatabase("slow_queries_no_ext_it");
    try (Connection other = connect(empty)) {
      try (Statement st = other.createStatement()) {
        st.execute("DROP EXTENSION IF EXISTS pg_stat_statements");
      }
      assertThat(extensionInstalled(other)).isFalse();

      assertThatThrownBy(() -> SlowQueries.top(other, 5, 100))
          .isInstanceOf(ToolException.class)
          .hasMessageContaining("CREATE EXTENSION pg_stat_statements")
          .hasMessageNotContaining("restart")
          .hasMessageNotContaining("\n");
    }
  }

  private static boolean extensionInstalled(Connection connection) throws SQLException {
    try (Statement st = connection.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'")) {
      return rs.next();
    }
  }

  private static Connection connect(PostgresFixture.Database database) throws SQLException {
    return DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
  }
}
