package io.cachepipe.sidecar.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The retained-WAL figure ({@code cachepipe_cdc_slot_retained_wal_bytes}) follows the slot: it
 * grows by the WAL written while the slot confirms nothing, and falls once the slot is moved past
 * it; without the slot it is unknown.
 */
class SlotLagProbeIT {

  private static final long MIB = 1024 * 1024;

  @Test
  void retainedWalGrowsWithUnconfirmedWalAndFallsWhenTheSlotAdvances() throws Exception {
    Database db = TestServers.postgres().createEmptyDatabase("slot_lag_it");
    String slot = db.name();
    Connections connections =
        Connections.from(
            Settings.of(
                Map.of(
                    "cachepipe.postgres.url", db.jdbcUrl(),
                    "cachepipe.postgres.user", db.user(),
                    "cachepipe.postgres.password", db.password())));
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement();
        SlotLagProbe probe = new SlotLagProbe(connections, slot)) {
      st.execute("SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
      probe.refresh();
      double before = probe.retainedBytes();
      assertThat(probe.state()).isEqualTo("slot inactive");

      // 4 MiB of WAL that nothing confirms, in a transaction: its commit writes it out.
      st.execute("SELECT pg_logical_emit_message(true, 'slot-lag-it', repeat('x', 4 * 1048576))");
      probe.refresh();
      double grown = probe.retainedBytes();

      assertThat(grown - before).as("retained after 4 MiB of WAL").isGreaterThanOrEqualTo(4 * MIB);

      // A logical slot's restart_lsn moves only to a running-xacts record it has decoded and
      // confirmed past: log one, then advance the slot to now, until it has moved.
      double fallen =
          await("the slot's restart_lsn to move past the 4 MiB")
              .atMost(Duration.ofSeconds(30))
              .pollInterval(Duration.ofMillis(100))
              .until(
                  () -> {
                    advance(st, slot);
                    probe.refresh();
                    return probe.retainedBytes();
                  },
                  retained -> retained < 1 * MIB);
      assertThat(fallen).isNotNegative();

      st.execute("SELECT pg_drop_replication_slot('" + slot + "')");
      probe.refresh();
      assertThat(probe.retainedBytes()).as("no slot, no figure").isNaN();
      assertThat(probe.state()).isEqualTo("no slot " + slot);
    }
  }

  private static void advance(Statement st, String slot) throws SQLException {
    st.execute("SELECT pg_log_standby_snapshot()");
    st.execute("SELECT pg_replication_slot_advance('" + slot + "', pg_current_wal_lsn())");
  }
}
