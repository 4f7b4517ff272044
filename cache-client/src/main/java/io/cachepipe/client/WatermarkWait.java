package io.cachepipe.client;

import io.cachepipe.core.change.WalPositions;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.redis.LazyConnection;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read-your-writes: the invalidator's watermark, and a read's wait for it to reach the writer's
 * token (once it has, that write's evictions are done).
 */
final class WatermarkWait {

  private static final Logger LOG = LoggerFactory.getLogger(WatermarkWait.class);
  private static final long POLL_NANOS = 500_000;

  private final AtomicBoolean warnedOnce = new AtomicBoolean();

  private final LazyConnection redis;
  private final CacheStats stats;

  WatermarkWait(LazyConnection redis, CacheStats stats) {
    this.redis = redis;
    this.stats = stats;
  }

  /**
   * The invalidator's read-your-writes watermark, or -1 if it has none yet or the value is not a
   * WAL position (then it is ignored, with one warning).
   *
   * @throws io.lettuce.core.RedisException if Redis fails
   */
  long watermark() {
    String value = redis.session().commands().get(CacheKeys.watermark());
    if (value == null) {
      return -1;
    }
    long position = WalPositions.parse(value);
    if (position < 0 && warnedOnce.compareAndSet(false, true)) {
      // Only something other than cachepipe can have written it: ignored, reads go to the loader.
      LOG.warn(
          "ignoring the read-your-writes watermark in Redis ({}): not a WAL position in range",
          value.length() > 40 ? value.substring(0, 40) + "…" : value);
    }
    return position;
  }

  /**
   * Waits up to {@code maxWait} for the watermark to reach {@code token}; a read that had to wait
   * is counted.
   *
   * @return whether it did
   * @throws io.lettuce.core.RedisException if Redis fails
   */
  boolean reached(WriteToken token, Duration maxWait) {
    long deadline = System.nanoTime() + maxWait.toNanos();
    boolean waited = false;
    try {
      while (watermark() < token.lsn()) {
        if (System.nanoTime() >= deadline) {
          return false;
        }
        waited = true;
        LockSupport.parkNanos(POLL_NANOS);
      }
      return true;
    } finally {
      if (waited) {
        stats.ownWriteWaits.increment();
      }
    }
  }
}
