package io.cachepipe.cdc;

import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.kafka.KafkaClients;
import io.cachepipe.redis.evict.CacheFlush;
import io.cachepipe.redis.evict.EvictionConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure, before the engine streams (and once this connector holds the slot's lock), that the
 * replication slot still holds every change since the connector stopped. A slot that is missing
 * (dropped) or invalidated ({@code wal_status = 'lost'}: PostgreSQL removed WAL it needed) means
 * changes may have been missed, and their evictions with them. Then, in this order: the slot is
 * created again (so every change from now on is captured), the cache is flushed ({@link
 * CacheFlush}: the epoch is bumped, which fences fills whose versions were read before, and every
 * registered tag is evicted), and only then does the engine stream. A missing slot with no stored
 * offsets is a first start: flushed too (entries cached before capture began cannot be known
 * fresh), logged at INFO rather than as a loss. If the flush fails, the new slot is dropped again
 * so that the next start flushes (a process killed during the flush leaves it, though).
 */
final class SlotRecovery implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SlotRecovery.class);

  /** What {@code pg_replication_slots} says of the slot. */
  enum SlotState {
    PRESENT,
    MISSING,
    LOST
  }

  private final Settings settings;
  private final Connections connections;
  private final CdcConfig config;
  private final CaptureStats stats;
  private volatile CacheFlush flush;
  private volatile boolean closed;

  SlotRecovery(Settings settings, Connections connections, CdcConfig config, CaptureStats stats) {
    this.settings = settings;
    this.connections = connections;
    this.config = config;
    this.stats = stats;
  }

  /**
   * Checks the slot; recreates it and flushes the cache if it was missing or lost.
   *
   * @return whether the slot was created anew, so that offsets stored before no longer apply
   */
  boolean ensureSlot() throws SQLException {
    String slot = config.slotName();
    SlotState state;
    boolean firstStart;
    try (Connection db =
        DriverManager.getConnection(
            connections.postgresUrl(),
            connections.postgresUser(),
            connections.postgresPassword())) {
      state = state(db, slot);
      if (state == SlotState.PRESENT) {
        return false;
      }
      firstStart = state == SlotState.MISSING && !offsetsStored();
      if (state == SlotState.LOST) {
        execute(db, "SELECT pg_drop_replication_slot(?)", slot);
      }
      // With the plugin the engine will stream with; it finds the slot and uses it.
      try (PreparedStatement st =
          db.prepareStatement("SELECT pg_create_logical_replication_slot(?, ?)")) {
        st.setString(1, slot);
        st.setString(2, config.passThrough().getOrDefault("plugin.name", "pgoutput"));
        st.executeQuery().close();
      }
    }
    CacheFlush.Flushed flushed;
    try {
      synchronized (this) {
        if (closed) {
          throw new IllegalStateException("closed before the cache was flushed");
        }
        flush = CacheFlush.open(connections, EvictionConfig.from(settings));
      }
      try {
        flushed = flush.flushAll();
      } finally {
        closeFlush();
      }
    } catch (RuntimeException e) {
      // The next start must find the slot missing again and flush then: a slot left behind would
      // pass for one that never lost a change.
      dropSlot(slot, e);
      throw e;
    }
    stats.epoch = flushed.epoch();
    if (firstStart) {
      LOG.info(
          "first start: created replication slot {}; flushed {} tags (entries cached before"
              + " capture began cannot be known fresh), epoch now {}",
          slot,
          flushed.tags(),
          flushed.epoch());
      return true;
    }
    stats.slotLosses.increment();
    LOG.warn(
        "replication slot {} was {} while cachepipe was down: changes may have been missed;"
            + " recreated it, flushed {} tags, epoch now {}",
        slot,
        state == SlotState.LOST ? "invalidated (wal_status lost)" : "dropped",
        flushed.tags(),
        flushed.epoch());
    return true;
  }

  private void dropSlot(String slot, RuntimeException failure) {
    try (Connection db =
        DriverManager.getConnection(
            connections.postgresUrl(),
            connections.postgresUser(),
            connections.postgresPassword())) {
      execute(db, "SELECT pg_drop_replication_slot(?)", slot);
    } catch (SQLException e) {
      failure.addSuppressed(e);
    }
  }

  static SlotState state(Connection db, String slot) throws SQLException {
    try (PreparedStatement st =
        db.prepareStatement("SELECT wal_status FROM pg_replication_slots WHERE slot_name = ?")) {
      st.setString(1, slot);
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) {
          return SlotState.MISSING;
        }
        return "lost".equals(rs.getString(1)) ? SlotState.LOST : SlotState.PRESENT;
      }
    }
  }

  private static void execute(Connection db, String sql, String slot) throws SQLException {
    try (PreparedStatement st = db.prepareStatement(sql)) {
      st.setString(1, slot);
      st.executeQuery().close();
    }
  }

  /** Whether the engine's offsets topic holds anything: if not, this is a first start. */
  private boolean offsetsStored() {
    Map<String, Object> client = KafkaClients.shared(settings);
    try (Admin admin = Admin.create(client)) {
      // Asked first: offsets of a topic that does not exist make the client log an error.
      if (!admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(config.offsetsTopic())) {
        return false;
      }
      TopicPartition partition = new TopicPartition(config.offsetsTopic(), 0);
      long end =
          admin
              .listOffsets(Map.of(partition, OffsetSpec.latest()))
              .partitionResult(partition)
              .get(30, TimeUnit.SECONDS)
              .offset();
      return end > 0;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        return false;
      }
      throw new CdcException("cannot read the offsets topic: " + e.getCause().getMessage(), e);
    } catch (TimeoutException e) {
      throw new CdcException("cannot read the offsets topic " + config.offsetsTopic(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CdcException("interrupted while reading the offsets topic", e);
    }
  }

  /** Makes a flush in progress give up (its evictions retry while Redis is unreachable). */
  @Override
  public synchronized void close() {
    closed = true;
    closeFlush();
  }

  /** Closes the flush's connections once (Lettuce warns of a connection closed twice). */
  private synchronized void closeFlush() {
    if (flush != null) {
      flush.close();
      flush = null;
    }
  }
}
