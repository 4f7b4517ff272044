package io.cachepipe.client;

import java.util.concurrent.atomic.LongAdder;

/** Counts of what a {@link CacheClient} did. */
public final class CacheStats {

  final LongAdder hits = new LongAdder();
  final LongAdder misses = new LongAdder();
  final LongAdder fillsAccepted = new LongAdder();
  final LongAdder fillsRejected = new LongAdder();
  final LongAdder redisErrors = new LongAdder();
  final LongAdder ownWriteWaits = new LongAdder();
  final LongAdder ownWriteBypasses = new LongAdder();

  public long hits() {
    return hits.sum();
  }

  public long misses() {
    return misses.sum();
  }

  /** Fills written. */
  public long fillsAccepted() {
    return fillsAccepted.sum();
  }

  /**
   * Fills dropped because a tag was evicted while the value was loaded (it may be stale), or
   * because the load took longer than the fill deadline. Expected under writes; not an error.
   */
  public long fillsRejected() {
    return fillsRejected.sum();
  }

  /** Redis calls that failed; the read then went to the loader. */
  public long redisErrors() {
    return redisErrors.sum();
  }

  /** Read-your-writes reads that waited for the watermark to reach their token. */
  public long ownWriteWaits() {
    return ownWriteWaits.sum();
  }

  /** Read-your-writes reads that went to the loader because the watermark did not come in time. */
  public long ownWriteBypasses() {
    return ownWriteBypasses.sum();
  }

  /** hits / (hits + misses), or 0 before the first read. */
  public double hitRatio() {
    long h = hits(), m = misses();
    return h + m == 0 ? 0 : (double) h / (h + m);
  }
}
