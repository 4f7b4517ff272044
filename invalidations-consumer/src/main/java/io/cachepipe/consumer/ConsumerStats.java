package io.cachepipe.consumer;

import java.util.concurrent.atomic.LongAdder;

/** Counts of what an {@link InvalidationsConsumer} read; safe to read from any thread. */
public final class ConsumerStats {

  final LongAdder invalidations = new LongAdder();
  final LongAdder watermarks = new LongAdder();
  final LongAdder deadLettered = new LongAdder();
  final LongAdder skipped = new LongAdder();
  final LongAdder rebalances = new LongAdder();

  /** Invalidations handed to the listener (a redelivered one counts again). */
  public long invalidations() {
    return invalidations.sum();
  }

  /** Watermarks read. */
  public long watermarks() {
    return watermarks.sum();
  }

  /** Unreadable records written to the dead-letter topic. */
  public long deadLettered() {
    return deadLettered.sum();
  }

  /**
   * Unreadable records passed over without a dead letter: no dead-letter topic was configured, or
   * writing to it failed (e.g. the consumer's principal may not write there).
   */
  public long skipped() {
    return skipped.sum();
  }

  /** How often the owned partitions changed. */
  public long rebalances() {
    return rebalances.sum();
  }

  @Override
  public String toString() {
    return "invalidations="
        + invalidations()
        + " watermarks="
        + watermarks()
        + " dead_lettered="
        + deadLettered()
        + " skipped="
        + skipped()
        + " rebalances="
        + rebalances();
  }
}
