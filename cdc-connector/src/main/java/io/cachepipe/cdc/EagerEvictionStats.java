package io.cachepipe.cdc;

import io.cachepipe.core.metrics.LatencyHistogram;
import java.util.concurrent.atomic.LongAdder;

/** What the eviction at capture has done so far. */
public final class EagerEvictionStats {

  final LongAdder evictions = new LongAdder();
  final LongAdder skipped = new LongAdder();
  final LongAdder keysDeleted = new LongAdder();
  final LongAdder changes = new LongAdder();
  final LongAdder failedChanges = new LongAdder();
  final LongAdder droppedChanges = new LongAdder();
  private final LatencyHistogram latency = new LatencyHistogram();

  /** Tags evicted eagerly (applied: their version moved). */
  public long evictions() {
    return evictions.sum();
  }

  /**
   * Tags found already evicted at their position or a later one (by the eviction through Kafka).
   */
  public long skipped() {
    return skipped.sum();
  }

  /** Cached entries the eager evictions deleted that existed. */
  public long keysDeleted() {
    return keysDeleted.sum();
  }

  /** Changes of watched tables whose tags were evicted eagerly. */
  public long changes() {
    return changes.sum();
  }

  /** Changes whose eager eviction failed (Redis unreachable, failing or slow). */
  public long failedChanges() {
    return failedChanges.sum();
  }

  /** Changes not evicted eagerly because too many waited already (Redis slower than capture). */
  public long droppedChanges() {
    return droppedChanges.sum();
  }

  /** From the commit in PostgreSQL to the eager eviction applied in Redis, in microseconds. */
  public LatencyHistogram latency() {
    return latency;
  }
}
