package io.cachepipe.pgtools;

import static io.cachepipe.pgtools.DatabaseHealthIT.CACHE_HIT_RATIO;
import static io.cachepipe.pgtools.DatabaseHealthIT.CONNECTION_USE;
import static io.cachepipe.pgtools.DatabaseHealthIT.SLOWEST_MEAN;
import static io.cachepipe.pgtools.DatabaseHealthIT.check;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cachepipe.pgtools.DatabaseHealth.Check;
import io.cachepipe.pgtools.DatabaseHealth.Report;
import io.cachepipe.pgtools.DatabaseHealth.Status;
import io.cachepipe.pgtools.DatabaseHealth.Thresholds;
import io.cachepipe.servers.LocalPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A server that does not preload pg_stat_statements: the tools say how to fix it. */
class WithoutPgStatStatementsIT {

  private static LocalPostgres postgres;

  @BeforeAll
  static void startServer() {
    postgres = LocalPostgres.start(Map.of("shared_preload_libraries", ""));
  }

  @AfterAll
  static void stopServer() {
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  void slowQueriesSaysToPreloadAndRestart() throws SQLException {
    try (Connection db = connect("no_preload_slow")) {
      assertThatThrownBy(() -> SlowQueries.top(db, 5, 100))
          .isInstanceOf(ToolException.class)
          .hasMessageContaining("shared_preload_libraries")
          .hasMessageContaining("restart")
          .hasMessageNotContaining("\n");
    }
  }

  /** CREATE EXTENSION succeeds without the library preloaded, but the view cannot be read. */
  @Test
  void installedExtensionWithoutPreloadStillSaysToPreloadAndRestart() throws SQLException {
    try (Connection db = connect("no_preload_installed")) {
      try (Statement st = db.createStatement()) {
        st.execute("CREATE EXTENSION pg_stat_statements");
      }

      assertThatThrownBy(() -> SlowQueries.top(db, 5, 100))
          .isInstanceOf(ToolException.class)
          .hasMessageContaining("shared_preload_libraries")
          .hasMessageContaining("restart");
    }
  }

  @Test
  void healthSlowQueryCheckIsUnknownWithTheFixAndDoesNotFailTheReport() throws SQLException {
    try (Connection db = connect("no_preload_health")) {
      Report report = DatabaseHealth.check(db, new Thresholds(0, 100, 1.0));

      Check slowest = check(report, SLOWEST_MEAN);
      assertThat(slowest.status()).isEqualTo(Status.UNKNOWN);
      assertThat(slowest.value()).isNaN();
      assertThat(slowest.detail()).contains("shared_preload_libraries", "restart");
      assertThat(check(report, CACHE_HIT_RATIO).status()).isEqualTo(Status.OK);
      assertThat(check(report, CONNECTION_USE).status()).isEqualTo(Status.OK);
      assertThat(report.healthy()).isTrue();
    }
  }

  @Test
  void otherChecksStillFailTheReport() throws SQLException {
    try (Connection db = connect("no_preload_failing")) {
      Report report = DatabaseHealth.check(db, new Thresholds(1.01, 100, 1.0));

      assertThat(check(report, SLOWEST_MEAN).status()).isEqualTo(Status.UNKNOWN);
      assertThat(check(report, CACHE_HIT_RATIO).status()).isEqualTo(Status.FAILED);
      assertThat(report.healthy()).isFalse();
    }
  }

  private static Connection connect(String database) throws SQLException {
    String url = postgres.createDatabase(database);
    return DriverManager.getConnection(url, postgres.user(), postgres.password());
  }
}
