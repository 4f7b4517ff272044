package io.cachepipe.cdc;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** What the cdc-connector has done so far. */
public final class CaptureStats {

  final LongAdder captured = new LongAdder();
  final LongAdder deadLettered = new LongAdder();
  private final Map<String, LongAdder> capturedByTable = new ConcurrentHashMap<>();
  final LongAdder slotLosses = new LongAdder();
  volatile long lastLsn;
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

  /** LSN of the newest change acknowledged by Kafka. */
  public long lastLsn() {
    return lastLsn;
  }
}
