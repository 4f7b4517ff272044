package io.cachepipe.cdc;

import java.util.concurrent.atomic.LongAdder;

/** What the cdc-connector has done so far. */
public final class CaptureStats {

  final LongAdder captured = new LongAdder();
  final LongAdder deadLettered = new LongAdder();
  volatile long lastLsn;

  /** Changes written to the changes topic and acknowledged by Kafka. */
  public long captured() {
    return captured.sum();
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
