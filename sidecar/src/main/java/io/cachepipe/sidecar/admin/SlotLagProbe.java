package io.cachepipe.sidecar.admin;

import io.cachepipe.core.config.Connections;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WAL that the cdc stage's replication slot keeps PostgreSQL from recycling: {@code
 * pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)}. Queried by {@link #refresh()} on the admin
 * port's interval, never per scrape; one connection, opened again after a failure.
 */
final class SlotLagProbe implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SlotLagProbe.class);
  private static final String QUERY =
      "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), active"
          + " FROM pg_replication_slots WHERE slot_name = ?";

  private final Connections connections;
  private final String slot;
  private Connection connection;
  private volatile double retainedBytes = Double.NaN;
  private volatile String state = "not probed yet";

  SlotLagProbe(Connections connections, String slot) {
    this.connections = connections;
    this.slot = slot;
  }

  /** Queries the slot once; on failure the figure becomes unknown (NaN) and the state says why. */
  synchronized void refresh() {
    try {
      if (connection == null || connection.isClosed()) {
        Properties login = new Properties();
        login.setProperty("user", connections.postgresUser());
        login.setProperty("password", connections.postgresPassword());
        // pgjdbc's own timeouts (seconds): DriverManager's login timeout would be JVM-wide.
        login.setProperty("connectTimeout", "2");
        login.setProperty("socketTimeout", "5");
        login.setProperty("ApplicationName", "cachepipe-admin");
        connection = DriverManager.getConnection(connections.postgresUrl(), login);
      }
      try (PreparedStatement st = connection.prepareStatement(QUERY)) {
        st.setQueryTimeout(2);
        st.setString(1, slot);
        try (ResultSet rs = st.executeQuery()) {
          if (rs.next()) {
            retainedBytes = rs.getDouble(1);
            state = rs.getBoolean(2) ? "slot active" : "slot inactive";
          } else {
            retainedBytes = Double.NaN;
            state = "no slot " + slot;
          }
        }
      }
    } catch (SQLException e) {
      LOG.debug("probing slot {}: {}", slot, e.getMessage());
      retainedBytes = Double.NaN;
      state = "unreachable";
      closeConnection();
    }
  }

  /** Bytes of WAL the slot retains, or NaN when unknown. */
  double retainedBytes() {
    return retainedBytes;
  }

  /** {@code slot active}, {@code slot inactive}, {@code no slot NAME} or {@code unreachable}. */
  String state() {
    return state;
  }

  String slot() {
    return slot;
  }

  private void closeConnection() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // it failed already
      }
      connection = null;
    }
  }

  @Override
  public synchronized void close() {
    closeConnection();
  }
}
