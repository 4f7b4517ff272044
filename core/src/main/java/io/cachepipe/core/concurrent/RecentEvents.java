package io.cachepipe.core.concurrent;

import java.time.Duration;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * How many times something happened within the last {@code window}, to the second: what a stage's
 * health reads to tell a run of failures from one long ago. Its memory is one counter per second of
 * the window however many events come (a storm of refusals counts, it does not pile up).
 * Thread-safe.
 */
public final class RecentEvents {

  private static final long SECOND = 1_000_000_000L;

  private final LongSupplier nanoClock;
  private final long[] counts;

  /** The second each slot counts ({@link Long#MIN_VALUE}: none yet). */
  private final long[] seconds;

  /**
   * @param window how far back an event counts; whole seconds, at least one
   * @param nanoClock the clock, in nanoseconds ({@code System::nanoTime})
   */
  public RecentEvents(Duration window, LongSupplier nanoClock) {
    if (window.toSeconds() < 1 || window.toNanos() % SECOND != 0) {
      throw new IllegalArgumentException("window must be whole seconds, at least one: " + window);
    }
    this.nanoClock = nanoClock;
    this.counts = new long[(int) window.toSeconds()];
    this.seconds = new long[counts.length];
    Arrays.fill(seconds, Long.MIN_VALUE);
  }

  /** Counts one event now. */
  public synchronized void record() {
    long now = Math.floorDiv(nanoClock.getAsLong(), SECOND);
    int slot = (int) Math.floorMod(now, (long) counts.length);
    if (seconds[slot] != now) {
      seconds[slot] = now;
      counts[slot] = 0;
    }
    counts[slot]++;
  }

  /** The events of the window: of this second and the window's whole seconds before it. */
  public synchronized int count() {
    long now = Math.floorDiv(nanoClock.getAsLong(), SECOND);
    long sum = 0;
    for (int i = 0; i < counts.length; i++) {
      if (seconds[i] != Long.MIN_VALUE && now - seconds[i] < counts.length) {
        sum += counts[i];
      }
    }
    return (int) Math.min(sum, Integer.MAX_VALUE);
  }
}
