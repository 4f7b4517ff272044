package io.cachepipe.core.concurrent;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.LongSupplier;

/**
 * How many times something happened within the last {@code window}: what a stage's health reads to
 * tell a run of failures from one long ago. Thread-safe.
 */
public final class RecentEvents {

  private final Duration window;
  private final LongSupplier nanoClock;
  private final Deque<Long> times = new ArrayDeque<>();

  /**
   * @param window how far back an event counts
   * @param nanoClock the clock, in nanoseconds ({@code System::nanoTime})
   */
  public RecentEvents(Duration window, LongSupplier nanoClock) {
    this.window = window;
    this.nanoClock = nanoClock;
  }

  /** Counts one event now. */
  public synchronized void record() {
    times.addLast(nanoClock.getAsLong());
    forgetOld();
  }

  /** The events within the window. */
  public synchronized int count() {
    forgetOld();
    return times.size();
  }

  public Duration window() {
    return window;
  }

  private void forgetOld() {
    long oldest = nanoClock.getAsLong() - window.toNanos();
    while (!times.isEmpty() && times.peekFirst() - oldest < 0) {
      times.removeFirst();
    }
  }
}
