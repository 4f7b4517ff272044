package io.cachepipe.cdc;

import io.cachepipe.core.config.Connections;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One active cdc-connector per replication slot: the active one holds a session-level PostgreSQL
 * advisory lock named after the slot on a connection of its own, for as long as it captures. A
 * second connector started for the same slot waits as a standby, trying the lock every poll
 * interval; when the active one dies its session ends, PostgreSQL releases the lock, and the
 * standby takes over within a poll interval (plus the time PostgreSQL takes to notice a dead
 * client's connection: at once for a killed process on the same host, up to the TCP keepalive
 * otherwise).
 */
final class SlotLeadership implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SlotLeadership.class);

  private final Connection connection;
  private final String slot;
  private volatile boolean closed;

  SlotLeadership(Connections connections, String slot) {
    this.slot = slot;
    try {
      this.connection =
          DriverManager.getConnection(
              connections.postgresUrl(),
              connections.postgresUser(),
              connections.postgresPassword());
    } catch (SQLException e) {
      throw new CdcException(
          "cannot connect to PostgreSQL for the slot lock: " + e.getMessage(), e);
    }
  }

  /** Takes the slot's lock if no other connector holds it. */
  boolean tryAcquire() throws SQLException {
    try (PreparedStatement st =
        connection.prepareStatement("SELECT pg_try_advisory_lock(hashtext(?))")) {
      st.setString(1, "cachepipe.cdc.slot/" + slot);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /**
   * Returns once this connector holds the slot's lock, waiting as a standby while another holds it.
   *
   * @throws InterruptedException if closed while waiting
   */
  void await(Duration poll, Runnable onStandby) throws InterruptedException, SQLException {
    if (tryAcquire()) {
      return;
    }
    LOG.info("standby: another cdc-connector captures through slot {}; waiting to take over", slot);
    onStandby.run();
    while (!closed) {
      Thread.sleep(poll.toMillis());
      if (!closed && tryAcquire()) {
        LOG.info("taking over slot {}: the active cdc-connector is gone", slot);
        return;
      }
    }
    throw new InterruptedException("closed while standing by");
  }

  /** Releases the lock (by ending its session). */
  @Override
  public void close() {
    closed = true;
    try {
      connection.close();
    } catch (SQLException e) {
      LOG.debug("closing the slot lock connection: {}", e.getMessage());
    }
  }
}
