package io.cachepipe.pgtools;

import static io.cachepipe.pgtools.DatabaseHealthIT.CACHE_HIT_RATIO;
import static io.cachepipe.pgtools.DatabaseHealthIT.CONNECTION_USE;
import static io.cachepipe.pgtools.DatabaseHealthIT.SLOWEST_MEAN;
import static io.cachepipe.pgtools.DatabaseHealthIT.check;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.pgtools.DatabaseHealth.Check;
import io.cachepipe.pgtools.DatabaseHealth.Status;
import io.cachepipe.pgtools.DatabaseHealth.Thresholds;
import io.cachepipe.servers.LocalPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The recipe's thresholds ({@link Thresholds#RECIPE}: cache hit ratio above 90 %, slowest mean
 * under 100 ms, connections under 80 % of max_connections), each failed by a database made to fail
 * it, on a server of its own: a buffer cache of 1 MB, so that a table of a few MB is read from
 * outside it, and 10 connections at most.
 */
class RecipeThresholdsIT {

  private static final int MAX_CONNECTIONS = 10;

  private static LocalPostgres postgres;

  @BeforeAll
  static void startServer() {
    postgres =
        LocalPostgres.start(
            Map.of(
                "shared_buffers", "1MB",
                "max_connections", Integer.toString(MAX_CONNECTIONS),
                "max_wal_senders", "0",
                "max_replication_slots", "0",
                "wal_level", "minimal"));
  }

  @AfterAll
  static void stopServer() {
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  void aTableReadFromOutsideTheBufferCacheFailsTheHitRatio() throws SQLException {
    String url = postgres.createDatabase("hit_ratio");
    try (Connection db = connect(url);
        Statement st = db.createStatement()) {
      // About 8 MB, eight times the buffer cache: a scan reads most of it from outside.
      st.execute(
          "CREATE TABLE wide AS SELECT g AS id, repeat(md5(g::text), 2) AS filler"
              + " FROM generate_series(1, 100000) g");
      flushStatistics(st);
      st.execute("SELECT pg_stat_reset()");
      assertThat(DatabaseHealth.check(db, Thresholds.RECIPE))
          .as("no block touched since the reset")
          .satisfies(r -> assertThat(check(r, CACHE_HIT_RATIO).status()).isEqualTo(Status.OK));

      for (int i = 0; i < 3; i++) {
        st.execute("SELECT count(*) FROM wide");
      }
      flushStatistics(st);

      Check ratio =
          await("the scans' reads in the database's statistics")
              .atMost(Duration.ofSeconds(15))
              .until(
                  () -> check(DatabaseHealth.check(db, Thresholds.RECIPE), CACHE_HIT_RATIO),
                  c -> c.status() == Status.FAILED);
      assertThat(ratio.value()).as(ratio.detail()).isLessThan(0.90);
      assertThat(ratio.limit()).isEqualTo(0.90);
    }
  }

  @Test
  void aStatementSlowerThan100MsFailsTheSlowestMean() throws SQLException {
    String url = postgres.createDatabase("slow_statement");
    try (Connection db = connect(url);
        Statement st = db.createStatement()) {
      st.execute("CREATE EXTENSION pg_stat_statements");
      st.execute(
          "SELECT pg_stat_statements_reset(0,"
              + " (SELECT oid FROM pg_database WHERE datname = current_database()), 0)");
      st.execute("SELECT pg_sleep(0.05)");
      Check fast = check(DatabaseHealth.check(db, Thresholds.RECIPE), SLOWEST_MEAN);
      assertThat(fast.status()).as("a 50 ms statement: %s", fast).isEqualTo(Status.OK);

      // Another statement (pg_stat_statements would average two calls of the same one).
      st.execute("SELECT 1 FROM pg_sleep(0.15)");

      Check slow = check(DatabaseHealth.check(db, Thresholds.RECIPE), SLOWEST_MEAN);
      assertThat(slow.status()).as("a 150 ms statement: %s", slow).isEqualTo(Status.FAILED);
      assertThat(slow.value()).isGreaterThanOrEqualTo(150);
      assertThat(slow.detail()).contains("pg_sleep");
    }
  }

  @Test
  void eightOfTenConnectionsFailTheConnectionUseSevenDoNot() throws SQLException {
    String url = postgres.createDatabase("connection_use");
    List<Connection> open = new ArrayList<>();
    try (Connection db = connect(url)) {
      while (open.size() < 6) {
        open.add(connect(url));
      }
      Check seven = connectionUse(db, "7 of " + MAX_CONNECTIONS);
      assertThat(seven.status()).as("70 %%: %s", seven).isEqualTo(Status.OK);

      open.add(connect(url));

      Check eight = connectionUse(db, "8 of " + MAX_CONNECTIONS);
      assertThat(eight.status()).as("80 %%: %s", eight).isEqualTo(Status.FAILED);
      assertThat(eight.value()).isEqualTo(0.8);
      assertThat(eight.limit()).isEqualTo(0.8);
    } finally {
      for (Connection c : open) {
        c.close();
      }
    }
  }

  /** The connection check once it counts {@code detail} (a closed session may linger briefly). */
  private static Check connectionUse(Connection db, String detail) {
    return await("connection use of " + detail)
        .atMost(Duration.ofSeconds(15))
        .until(
            () -> check(DatabaseHealth.check(db, Thresholds.RECIPE), CONNECTION_USE),
            c -> c.detail().equals(detail));
  }

  /** Makes this session's statistics visible to others now, not within the next second. */
  private static void flushStatistics(Statement st) throws SQLException {
    st.execute("SELECT pg_stat_force_next_flush()");
    st.execute("SELECT 1");
  }

  private static Connection connect(String url) throws SQLException {
    return DriverManager.getConnection(url, postgres.user(), postgres.password());
  }
}
