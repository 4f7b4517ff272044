package io.cachepipe.client;

import io.cachepipe.core.change.Watermark;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a writer keeps to read its own writes through the cache: a WAL position after its commit.
 * Pass it to {@link CacheClient#getAfter}, which serves from the cache only once the invalidator's
 * watermark has reached it, so the read never returns a value older than the write.
 *
 * <p>Take it on the connection that committed, right after the commit ({@link #commit} does both).
 * Besides reading the position it writes a tiny non-transactional logical decoding message (prefix
 * {@value Watermark#MESSAGE_PREFIX}) after it, so the change stream reaches the position promptly
 * even if nothing else is written; if the role may not do that, the token still works, only the
 * wait may last until the next change or the read's timeout.
 *
 * @param lsn a WAL position (as a number) after the writer's commit
 */
public record WriteToken(long lsn) {

  private static final Logger LOG = LoggerFactory.getLogger(WriteToken.class);

  /** Commits {@code connection}'s transaction and returns the token of that commit. */
  public static WriteToken commit(Connection connection) throws SQLException {
    connection.commit();
    return afterCommit(connection);
  }

  /** The token of the transaction {@code connection} just committed (or ran in autocommit). */
  public static WriteToken afterCommit(Connection connection) throws SQLException {
    boolean autoCommit = connection.getAutoCommit();
    long lsn;
    try (Statement statement = connection.createStatement()) {
      try (ResultSet rs =
          statement.executeQuery("SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn")) {
        rs.next();
        lsn = rs.getLong(1);
      }
      try {
        statement.execute(
            "SELECT pg_logical_emit_message(false, '" + Watermark.MESSAGE_PREFIX + "', '')");
      } catch (SQLException e) {
        LOG.debug("no logical decoding message after the token: {}", e.getMessage());
        if (!autoCommit) {
          connection.rollback();
          return new WriteToken(lsn);
        }
      }
    }
    if (!autoCommit) {
      connection.commit(); // ends the read-only transaction the two statements opened
    }
    return new WriteToken(lsn);
  }
}
