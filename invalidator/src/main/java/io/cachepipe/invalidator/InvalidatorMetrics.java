package io.cachepipe.invalidator;

import io.cachepipe.core.change.Invalidation;
import java.time.Instant;
import java.util.concurrent.atomic.LongAdder;

/** What the invalidator has done so far. */
public final class InvalidatorMetrics {

  final LongAdder changes = new LongAdder();
  final LongAdder unwatchedChanges = new LongAdder();
  final LongAdder evictions = new LongAdder();
  final LongAdder keysDeleted = new LongAdder();
  final LongAdder deadLettered = new LongAdder();
  private final LatencyHistogram latency = new LatencyHistogram();

  void recordEviction(Invalidation invalidation, int liveKeys) {
    evictions.increment();
    keysDeleted.add(liveKeys);
    Instant now = Instant.now();
    long nowMicros = now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
    latency.record(nowMicros - invalidation.commitMicros());
  }

  /** Changes of watched tables mapped to tags. */
  public long changes() {
    return changes.sum();
  }

  /** Changes of tables without rules, ignored. */
  public long unwatchedChanges() {
    return unwatchedChanges.sum();
  }

  /** Eviction steps applied to Redis (one per tag per invalidation). */
  public long evictions() {
    return evictions.sum();
  }

  /** Cached entries deleted that existed. */
  public long keysDeleted() {
    return keysDeleted.sum();
  }

  /** Unreadable messages sent to the dead-letter topic. */
  public long deadLettered() {
    return deadLettered.sum();
  }

  /** Commit-to-eviction latency, in microseconds. */
  public LatencyHistogram latency() {
    return latency;
  }
}
