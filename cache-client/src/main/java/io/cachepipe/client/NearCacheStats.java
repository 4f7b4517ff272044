package io.cachepipe.client;

import java.util.concurrent.atomic.LongAdder;

/** Counts of a {@link NearCache}; safe to read from any thread. */
public final class NearCacheStats {

  final LongAdder hits = new LongAdder();
  final LongAdder misses = new LongAdder();
  final LongAdder bypasses = new LongAdder();
  final LongAdder fillsAccepted = new LongAdder();
  final LongAdder fillsRefused = new LongAdder();
  final LongAdder drops = new LongAdder();
  final LongAdder invalidations = new LongAdder();

  /** Reads served by the tier. */
  public long hits() {
    return hits.sum();
  }

  /** Reads the tier had no servable entry for. */
  public long misses() {
    return misses.sum();
  }

  /** Reads that passed the tier by because it could not know it was current. */
  public long bypasses() {
    return bypasses.sum();
  }

  /** Values stored in the tier. */
  public long fillsAccepted() {
    return fillsAccepted.sum();
  }

  /**
   * Values not stored: an invalidation of a tag was applied while they loaded, Redis had not yet
   * applied what the tier had, the tier stopped being current, or the fill took too long.
   */
  public long fillsRefused() {
    return fillsRefused.sum();
  }

  /** Times the tier dropped every entry (its consumer restarted or its partitions changed). */
  public long drops() {
    return drops.sum();
  }

  /** Invalidations applied. */
  public long invalidations() {
    return invalidations.sum();
  }

  @Override
  public String toString() {
    return String.format(
        "hits=%d misses=%d bypasses=%d fills_accepted=%d fills_refused=%d drops=%d"
            + " invalidations=%d",
        hits(), misses(), bypasses(), fillsAccepted(), fillsRefused(), drops(), invalidations());
  }
}
