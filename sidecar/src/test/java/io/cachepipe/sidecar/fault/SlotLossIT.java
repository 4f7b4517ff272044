package io.cachepipe.sidecar.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.core.redis.CacheKeys;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 6, fault 6: the replication slot is dropped, or invalidated by PostgreSQL, while the
 * sidecar is down, and writes commit meanwhile. Their invalidations are truly lost: the WAL that
 * held them is gone for the connector. At its next start the sidecar must not pretend all is well:
 * it recreates the slot, flushes the cache by bumping the epoch and evicting every registered tag,
 * says so in a WARN line and in {@code cachepipe_cdc_slot_lost_total}; then changes are evicted as
 * usual. The entries cached before and during the outage were made stale by the missed writes
 * (checked), and none is left stale after the restart.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SlotLossIT {

  private static final String SLOT = "faults";
  private static final int WRITES_WHILE_DOWN = 200;
  private static final Duration RECOVERY = Duration.ofSeconds(120);

  private static FaultServers servers;
  private static FaultSuite suite;

  @BeforeAll
  static void startServersAndSidecar() throws Exception {
    servers = FaultServers.start();
    suite = new FaultSuite(servers, FaultSuite.freshDirectory("slot-loss-it"));
    suite.ensureSidecarRuns();
  }

  @AfterAll
  static void stopEverything() {
    if (suite != null) {
      suite.close();
    }
    if (servers != null) {
      servers.close();
    }
  }

  @Test
  @Order(1)
  void aSlotDroppedWhileTheSidecarIsDownIsRecreatedAndTheCacheFlushed() throws Exception {
    slotLost(
        "slot-dropped",
        1,
        "dropped",
        () -> sql("SELECT pg_drop_replication_slot('" + SLOT + "')"),
        "sidecar stopped, its replication slot dropped (pg_drop_replication_slot) and 200 writes"
            + " committed, then the sidecar started again");
  }

  @Test
  @Order(2)
  void aSlotInvalidatedWhileTheSidecarIsDownIsRecreatedAndTheCacheFlushed() throws Exception {
    slotLost(
        "slot-invalidated",
        2,
        "invalidated (wal_status lost)",
        SlotLossIT::invalidateSlot,
        "sidecar stopped, 200 writes committed, its replication slot invalidated by PostgreSQL"
            + " (max_slot_wal_keep_size 1MB, pg_switch_wal, CHECKPOINT), then the sidecar"
            + " started again");
  }

  /**
   * Stops the sidecar under load, loses its slot by {@code loseSlot} while writes commit, starts it
   * again, and checks that the cache was flushed and nothing is lost or stale afterwards.
   */
  private void slotLost(String fault, int index, String how, SqlStep loseSlot, String action)
      throws Exception {
    try (FaultScenario s = new FaultScenario(suite, fault, index)) {
      s.begin();
      long warningsBefore = warnings(how);
      s.faultStarts();
      suite.sidecar.stop(FaultSuite.STOP);
      await("the slot is released")
          .atMost(Duration.ofSeconds(30))
          .until(() -> !Boolean.TRUE.equals(slotActive()));
      int atStop = s.load.committed().size();
      loseSlot.run();
      await("writes commit while the sidecar is down")
          .atMost(Duration.ofSeconds(60))
          .until(() -> s.load.committed().size() >= atStop + WRITES_WHILE_DOWN);
      List<String> staleBeforeRestart = s.staleAmongWatched();
      long epochBefore = epoch();

      suite.sidecar.start();
      await("the restarted sidecar bumps the cache epoch")
          .atMost(FaultSuite.STARTUP)
          .pollInterval(Duration.ofMillis(20))
          .until(() -> epoch() > epochBefore);
      s.flushedAt(System.nanoTime());
      s.faultEnded();
      s.awaitRecovery(RECOVERY);
      suite.sidecar.awaitReady(FaultSuite.STARTUP);
      double slotLost = suite.sidecar.metric("cachepipe_cdc_slot_lost_total");
      double epochGauge = suite.sidecar.metric("cachepipe_cdc_cache_epoch");

      Map<String, Object> extra = new LinkedHashMap<>();
      extra.put("stale_before_restart", staleBeforeRestart.size());
      extra.put("covered_by_flush", s.coveredByFlush());
      extra.put("slot_lost_metric", slotLost);
      extra.put("epoch", epochGauge);
      FaultResult result =
          s.finish(
              action
                  + "; the writes committed before the flush that were never evicted on their own"
                  + " (covered_by_flush) are not counted lost: the flush evicted every entry",
              extra);

      assertThat(staleBeforeRestart)
          .as("the missed writes made cached entries stale (else this test could not fail)")
          .isNotEmpty();
      assertThat(warnings(how) - warningsBefore).as("the restart's WARN line").isEqualTo(1);
      assertThat(slotLost).as("cachepipe_cdc_slot_lost_total of the new process").isEqualTo(1);
      assertThat(epochGauge).isEqualTo(epoch());
      assertThat(slotActive()).as("the slot exists again, and streams").isTrue();
      assertThat(result.lost()).as("writes after the flush never invalidated").isZero();
      assertThat(result.staleAfter()).as("stale entries after recovery").isZero();
      assertThat(suite.sidecar.isAlive()).isTrue();
    }
  }

  private static long warnings(String how) throws java.io.IOException {
    return suite.sidecar.logLinesContaining(
        "replication slot " + SLOT + " was " + how + " while cachepipe was down");
  }

  /**
   * Lets PostgreSQL invalidate the inactive slot: at most 1 MB of WAL may be kept for it, the load
   * writes on, WAL segments are switched and a checkpoint removes those the slot needed.
   */
  private static void invalidateSlot() throws SQLException {
    sql("ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'");
    sql("SELECT pg_reload_conf()");
    try {
      await("PostgreSQL invalidates the slot")
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                sql("SELECT pg_switch_wal()");
                sql("CHECKPOINT");
                return "lost".equals(walStatus());
              });
    } finally {
      // Before the restart, so the new slot is not invalidated in turn.
      sql("ALTER SYSTEM RESET max_slot_wal_keep_size");
      sql("SELECT pg_reload_conf()");
    }
  }

  private static long epoch() {
    String epoch = suite.redis.get(CacheKeys.epoch());
    return epoch == null ? 0 : Long.parseLong(epoch);
  }

  /** Whether the slot is in use; null if there is none. */
  private static Boolean slotActive() throws SQLException {
    return slotColumn("active") == null ? null : Boolean.valueOf(slotColumn("active"));
  }

  private static String walStatus() throws SQLException {
    return slotColumn("wal_status");
  }

  private static String slotColumn(String column) throws SQLException {
    try (Connection c = suite.database.getConnection();
        PreparedStatement st =
            c.prepareStatement(
                "SELECT " + column + "::text FROM pg_replication_slots WHERE slot_name = ?")) {
      st.setString(1, SLOT);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  private static void sql(String statement) throws SQLException {
    try (Connection c = suite.database.getConnection();
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }

  /** A step against PostgreSQL. */
  @FunctionalInterface
  private interface SqlStep {
    void run() throws SQLException;
  }
}
