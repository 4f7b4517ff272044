package io.cachepipe.cdc;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** What the cdc-connector has done so far. */
public final class CaptureStats {

  final LongAdder captured = new LongAdder();
  final LongAdder deadLettered = new LongAdder();
  final LongAdder reduced = new LongAdder();
  private final Map<String, LongAdder> capturedByTable = new ConcurrentHashMap<>();
  final LongAdder slotLosses = new LongAdder();
  volatile long lastLsn;
  volatile long lastBatchMillis;
  volatile long streamingSinceMillis;
  volatile long lastCommitMicros;
  volatile long lastCapturedMillis;
  volatile long epoch;

  void recordCaptured(String table) {
    capturedByTable.computeIfAbsent(table, t -> new LongAdder()).increment();
  }

  /** Changes written to the changes topic and acknowledged by Kafka. */
  public long captured() {
    return captured.sum();
  }

  /**
   * Changes of {@code table} (schema-qualified, {@code public.posts}) written to the changes topic
   * and acknowledged by Kafka.
   */
  public long captured(String table) {
    LongAdder count = capturedByTable.get(table);
    return count == null ? 0 : count.sum();
  }

  /** Records that could not be mapped and went to the dead-letter topic. */
  public long deadLettered() {
    return deadLettered.sum();
  }

  /**
   * Changes too big for Kafka that were published cut down to what the tag rules read (or their
   * key), marked with the {@code cachepipe.reduced} header.
   */
  public long reduced() {
    return reduced.sum();
  }

  /**
   * Starts that found the replication slot dropped or invalidated, so that changes may have been
   * missed and the cache was flushed.
   */
  public long slotLosses() {
    return slotLosses.sum();
  }

  /** The cache epoch this connector set when it last flushed the cache; 0 if it never did. */
  public long epoch() {
    return epoch;
  }

  /**
   * When the engine last handed over a batch (changes, heartbeats or read-your-writes messages),
   * epoch milliseconds; 0 before the first. A live engine with heartbeats on does so at least once
   * per heartbeat interval.
   */
  /** When the engine last started streaming (ms since the epoch), 0 before. */
  public long streamingSinceMillis() {
    return streamingSinceMillis;
  }

  public long lastBatchMillis() {
    return lastBatchMillis;
  }

  /**
   * Commit to capture lag of the newest change acknowledged by Kafka, in milliseconds; -1 before
   * the first change.
   */
  public long lagMillis() {
    long commit = lastCommitMicros;
    return commit == 0 ? -1 : Math.max(0, lastCapturedMillis - commit / 1_000);
  }

  /** Commit time of the newest change acknowledged by Kafka, epoch microseconds; 0 before one. */
  public long lastCommitMicros() {
    return lastCommitMicros;
  }

  /** LSN of the newest change acknowledged by Kafka. */
  public long lastLsn() {
    return lastLsn;
  }
}
