package io.cachepipe.cdc;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** What the cdc-connector has done so far. */
public final class CaptureStats {

  final LongAdder captured = new LongAdder();
  final LongAdder deadLettered = new LongAdder();
  private final Map<String, LongAdder> capturedByTable = new ConcurrentHashMap<>();
  volatile long lastLsn;

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

  /** LSN of the newest change acknowledged by Kafka. */
  public long lastLsn() {
    return lastLsn;
  }
}
