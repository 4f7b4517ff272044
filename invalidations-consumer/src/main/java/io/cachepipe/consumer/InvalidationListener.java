package io.cachepipe.consumer;

import io.cachepipe.core.change.Invalidation;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * What a service does with the invalidations topic. Every method is called on the consumer's own
 * thread, one record at a time in each partition's order; the offsets of a poll are committed only
 * after every call for its records has returned.
 *
 * <p>A method that throws stops the consumer: the poll it was handling is not committed, so a
 * restart in the same group delivers it again. Keep the callbacks quick and idempotent (at least
 * once: a record may come twice).
 */
@FunctionalInterface
public interface InvalidationListener {

  /**
   * A row that {@link Invalidation#tag()} stands for changed: drop (or mark stale) everything
   * cached under the tag. Order by {@link Invalidation#commitLsn()}, never {@link
   * Invalidation#lsn()}.
   */
  void invalidated(Invalidation invalidation);

  /**
   * Every change committed before WAL position {@code position} has been passed to {@link
   * #invalidated} (for the partitions this consumer owns). Called when the position grows.
   */
  default void caughtUp(long position) {}

  /**
   * The partitions this consumer reads changed (a rebalance, or the first assignment): until the
   * watermarks of the new set arrive, {@link InvalidationsConsumer#caughtUpPosition()} is -1.
   *
   * @param owned the partitions owned from now on
   */
  default void partitionsChanged(Set<TopicPartition> owned) {}
}
