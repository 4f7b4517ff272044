package io.cachepipe.warmer;

import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * A token bucket: at most {@code perSecond} permits a second on average, bursts of up to one
 * second's worth. It keeps a write storm from turning into a recompute storm on PostgreSQL: the
 * warmer takes one permit per recompute query, so a batch query that recomputes many entries takes
 * one.
 */
final class RateLimiter {

  private final double permitsPerNano;
  private final double burst;
  private final LongSupplier nanoClock;
  private double tokens;
  private long last;

  RateLimiter(double perSecond, LongSupplier nanoClock) {
    if (perSecond <= 0) {
      throw new IllegalArgumentException("perSecond must be positive");
    }
    this.permitsPerNano = perSecond / 1e9;
    this.burst = Math.max(1, perSecond);
    this.nanoClock = nanoClock;
    this.tokens = burst;
    this.last = nanoClock.getAsLong();
  }

  /** Takes one permit and waits until it may be used. */
  void acquire() {
    long wait = reserve();
    if (wait > 0) {
      LockSupport.parkNanos(wait);
    }
  }

  /** Takes one permit and returns how long to wait before using it, in nanoseconds (0: now). */
  synchronized long reserve() {
    long now = nanoClock.getAsLong();
    tokens = Math.min(burst, tokens + (now - last) * permitsPerNano);
    last = now;
    tokens -= 1;
    return tokens >= 0 ? 0 : (long) Math.ceil(-tokens / permitsPerNano);
  }
}
