package io.cachepipe.core.kafka;

import java.time.Duration;
import java.util.Objects;

/**
 * Thrown by a {@link CommittingPollLoop.BatchHandler} that could not finish its batch for a reason
 * that passes (Redis unreachable, Kafka not acknowledging): the loop keeps the batch, pauses its
 * partitions and keeps polling, so the consumer stays in its group however long the trouble lasts,
 * and hands the same batch to the handler again after {@link #after}. The handler must bound each
 * call well below {@code max.poll.interval.ms}.
 */
public final class RetryBatchLater extends RuntimeException {

  private final transient Duration after;

  /**
   * @param reason what is failing, for logs
   * @param after how long to wait before the batch is handed again
   */
  public RetryBatchLater(String reason, Duration after) {
    super(reason, null, false, false);
    this.after = Objects.requireNonNull(after, "after");
  }

  /** How long to wait before the batch is handed again. */
  public Duration after() {
    return after;
  }
}
