package io.cachepipe.warmer;

import io.cachepipe.core.concurrent.RecentEvents;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Warm queries cancelled by the statement timeout ({@code cachepipe.warmer.statement.timeout.ms}):
 * counted since start, and those of the last minute for the warmer's health. A recompute that timed
 * out is skipped; its entry stays evicted, which is always safe. Thread-safe.
 */
final class QueryTimeouts {

  /** PostgreSQL's SQLSTATE of a statement cancelled by {@code statement_timeout}. */
  private static final String QUERY_CANCELED = "57014";

  static final Duration WINDOW = Duration.ofMinutes(1);

  private final LongAdder total = new LongAdder();
  private final RecentEvents recent;

  QueryTimeouts(LongSupplier nanoClock) {
    this.recent = new RecentEvents(WINDOW, nanoClock);
  }

  /**
   * Counts {@code failure} if it is a statement timeout (or a socket timeout of a query that hung
   * past it).
   *
   * @return whether it was one
   */
  boolean record(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && QUERY_CANCELED.equals(sql.getSQLState())
          || t instanceof java.net.SocketTimeoutException) {
        total.increment();
        recent.record();
        return true;
      }
    }
    return false;
  }

  /** Timeouts since start. */
  long total() {
    return total.sum();
  }

  /** Timeouts in the last {@link #WINDOW}. */
  int lastMinute() {
    return recent.count();
  }
}
