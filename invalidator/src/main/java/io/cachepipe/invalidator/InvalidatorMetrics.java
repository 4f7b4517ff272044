package io.cachepipe.invalidator;

import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.metrics.LatencyHistogram;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/** What the invalidator has done so far. */
public final class InvalidatorMetrics {

  final LongAdder changes = new LongAdder();
  final LongAdder unwatchedChanges = new LongAdder();
  final LongAdder evictions = new LongAdder();
  final LongAdder keysDeleted = new LongAdder();
  final LongAdder deadLettered = new LongAdder();
  final LongAdder refusedByRedis = new LongAdder();
  final LongAdder coalesced = new LongAdder();
  volatile long watermark = -1;
  volatile long lastTaggedMillis;
  private volatile long lastEvictedMillis;
  private volatile long lastEvictedCommitMicros;
  private volatile long lastEvictionLagMillis = -1;
  private final LatencyHistogram latency = new LatencyHistogram();

  /** One tag evicted, {@code liveKeys} of its entries were cached. */
  void recordEviction(long liveKeys) {
    evictions.increment();
    keysDeleted.add(liveKeys);
  }

  /** Every invalidation of a batch whose evictions Redis just applied: commit-to-eviction time. */
  void recordApplied(List<Invalidation> invalidations) {
    Instant now = Instant.now();
    long nowMicros = now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
    long newestCommit = 0;
    for (Invalidation invalidation : invalidations) {
      latency.record(nowMicros - invalidation.commitMicros());
      newestCommit = Math.max(newestCommit, invalidation.commitMicros());
    }
    if (newestCommit > 0) {
      lastEvictedMillis = now.toEpochMilli();
      lastEvictedCommitMicros = Math.max(lastEvictedCommitMicros, newestCommit);
      lastEvictionLagMillis = Math.max(0, (nowMicros - newestCommit) / 1_000);
    }
  }

  /** When the topology last tagged a change, epoch milliseconds; 0 before the first. */
  public long lastTaggedMillis() {
    return lastTaggedMillis;
  }

  /** When Redis last applied evictions, epoch milliseconds; 0 before the first. */
  public long lastEvictedMillis() {
    return lastEvictedMillis;
  }

  /** The newest commit time whose evictions Redis applied, epoch microseconds; 0 before one. */
  public long lastEvictedCommitMicros() {
    return lastEvictedCommitMicros;
  }

  /** Commit to eviction time of the newest change of the last applied batch, ms; -1 before one. */
  public long lastEvictionLagMillis() {
    return lastEvictionLagMillis;
  }

  /** Changes of watched tables mapped to tags. */
  public long changes() {
    return changes.sum();
  }

  /** Changes of tables without rules, ignored. */
  public long unwatchedChanges() {
    return unwatchedChanges.sum();
  }

  /** Tags evicted in Redis (a tag invalidated several times in one batch counts once). */
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

  /**
   * Invalidations and watermarks whose eviction Redis refused for good (a key of the wrong type, a
   * missing permission, a script error): dead-lettered too, and counted in {@link #deadLettered}.
   */
  public long refusedByRedis() {
    return refusedByRedis.sum();
  }

  /** Invalidations absorbed by a newer one of the same tag while it was held. */
  public long coalesced() {
    return coalesced.sum();
  }

  /**
   * The read-your-writes watermark last published to Redis: every change committed before this WAL
   * position has been evicted; -1 until every partition reported.
   */
  public long watermark() {
    return watermark;
  }

  /** Commit-to-eviction latency, in microseconds. */
  public LatencyHistogram latency() {
    return latency;
  }
}
