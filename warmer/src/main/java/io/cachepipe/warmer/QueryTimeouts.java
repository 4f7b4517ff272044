package io.cachepipe.warmer;

import io.cachepipe.core.concurrent.RecentEvents;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Warm queries cancelled by the statement timeout ({@code cachepipe.warmer.statement.timeout.ms}):
 * counted since start, and those of the last minute for the warmer's health, together with the
 * kinds whose latest query timed out: once a kind's query answers in time again, its hang is over
 * and no longer troubles health, however many timeouts the minute still holds. A recompute that
 * timed out is skipped; its entry stays evicted, which is always safe. Thread-safe.
 */
final class QueryTimeouts {

  /** PostgreSQL's SQLSTATE of a statement cancelled by {@code statement_timeout}. */
  private static final String QUERY_CANCELED = "57014";

  static final Duration WINDOW = Duration.ofMinutes(1);

  private final LongAdder total = new LongAdder();
  private final RecentEvents recent;
  private final Set<String> hanging = ConcurrentHashMap.newKeySet();

  QueryTimeouts(LongSupplier nanoClock) {
    this.recent = new RecentEvents(WINDOW, nanoClock);
  }

  /**
   * Counts {@code failure} of a query of {@code kind} if it is a statement timeout (or a socket
   * timeout of a query that hung past it).
   *
   * @return whether it was one
   */
  boolean record(String kind, Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && QUERY_CANCELED.equals(sql.getSQLState())
          || t instanceof java.net.SocketTimeoutException) {
        total.increment();
        recent.record();
        hanging.add(kind);
        return true;
      }
    }
    return false;
  }

  /** A query of {@code kind} answered in time. */
  void answered(String kind) {
    if (!hanging.isEmpty()) {
      hanging.remove(kind);
    }
  }

  /**
   * Why warm queries trouble the warmer's health ("warm queries of user_stats time out: 5 timeouts
   * in the last minute"): while the latest query of some kind timed out and the last minute holds
   * at least {@code troubling} timeouts; else null.
   */
  String trouble(int troubling) {
    int timeouts = lastMinute();
    Set<String> kinds = hangingKinds();
    return timeouts >= troubling && !kinds.isEmpty()
        ? "warm queries of "
            + String.join(", ", kinds)
            + " time out: "
            + timeouts
            + " timeouts in the last minute"
        : null;
  }

  /** The kinds whose latest query timed out, by name. */
  Set<String> hangingKinds() {
    return new TreeSet<>(hanging);
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
