package io.cachepipe.consumer;

import io.cachepipe.core.change.Watermark;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * "Caught up to position X" from the watermarks of the partitions a consumer owns. Each partition
 * of the invalidations topic gets a copy of every changes-topic partition's ({@code source}'s)
 * marker; once every (owned partition, source) pair has a marker at or past X, every change
 * committed before X has been read (docs/invalidations.md). Also keeps, per pair, when its newest
 * marker was written (the record timestamp), so a reader can bound how old its view is.
 *
 * <p>Written by the consumer's thread, read from any: changes are synchronized, {@link #await}
 * waits on this monitor, and the figures are read without a lock.
 */
public final class CaughtUp {

  private final Map<TopicPartition, Marks> owned = new HashMap<>();
  private int sources;
  // Read on every near-cache hit: volatile, so readers take no lock.
  private volatile long position = -1;
  private volatile long oldestMarkMillis = -1;
  private volatile long newest = -1;

  /** The partitions owned from now on are {@code partitions} as well. */
  public synchronized void assigned(Collection<TopicPartition> partitions) {
    for (TopicPartition partition : partitions) {
      owned.putIfAbsent(partition, new Marks());
    }
    recompute();
  }

  /** {@code partitions} are no longer owned. */
  public synchronized void revoked(Collection<TopicPartition> partitions) {
    partitions.forEach(owned::remove);
    recompute();
  }

  /** The partitions owned. */
  public synchronized Set<TopicPartition> owned() {
    return Set.copyOf(owned.keySet());
  }

  /**
   * A watermark read in {@code partition}, written at {@code timestampMillis}.
   *
   * @return whether the caught-up position grew
   */
  public synchronized boolean observe(
      TopicPartition partition, Watermark watermark, long timestampMillis) {
    Marks marks = owned.get(partition);
    if (marks == null) {
      return false; // read before its assignment was reported, or after a revoke
    }
    sources = Math.max(sources, watermark.sources());
    marks.lsn.merge(watermark.source(), watermark.lsn(), Math::max);
    marks.millis.merge(watermark.source(), timestampMillis, Math::max);
    long before = position;
    recompute();
    return position > before;
  }

  /**
   * The WAL position before which every committed change has been read from the owned partitions,
   * or -1 while some (partition, source) pair has no marker yet (or none is owned).
   */
  public long position() {
    return position;
  }

  /**
   * The highest position of any marker of the owned partitions, or -1 while some (partition,
   * source) pair has none: a change committed before it may be ahead of the markers the consumer
   * read first, so a reader that started at the topic's end may never have seen it.
   */
  public long newestPosition() {
    return newest;
  }

  /**
   * When the oldest of the pairs' newest markers was written (epoch milliseconds), or -1 while some
   * pair has none: every change captured before roughly that moment has been read.
   */
  public long oldestMarkMillis() {
    return oldestMarkMillis;
  }

  /**
   * Waits until the position reaches {@code target}, at most {@code maxWaitNanos}.
   *
   * @return whether it did
   */
  public synchronized boolean await(long target, long maxWaitNanos) throws InterruptedException {
    long deadline = System.nanoTime() + maxWaitNanos;
    while (position < target) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      wait(Math.max(1, left / 1_000_000));
    }
    return true;
  }

  private void recompute() {
    long lowest = Long.MAX_VALUE;
    long oldest = Long.MAX_VALUE;
    long highest = -1;
    boolean complete = !owned.isEmpty() && sources > 0;
    for (Marks marks : owned.values()) {
      if (!complete) {
        break;
      }
      for (int source = 0; source < sources; source++) {
        Long lsn = marks.lsn.get(source);
        if (lsn == null) {
          complete = false;
          break;
        }
        lowest = Math.min(lowest, lsn);
        highest = Math.max(highest, lsn);
        oldest = Math.min(oldest, marks.millis.get(source));
      }
    }
    position = complete ? lowest : -1;
    oldestMarkMillis = complete ? oldest : -1;
    newest = complete ? highest : -1;
    notifyAll();
  }

  private static final class Marks {
    final Map<Integer, Long> lsn = new HashMap<>();
    final Map<Integer, Long> millis = new HashMap<>();
  }
}
