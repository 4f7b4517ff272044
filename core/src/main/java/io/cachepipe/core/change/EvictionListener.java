package io.cachepipe.core.change;

/**
 * Told of each eviction report once Kafka has acknowledged it: how a warmer in the same process as
 * the invalidator starts its recomputes without waiting to read the report back from the evictions
 * topic. It runs on the Kafka producer's I/O thread, so it must return at once and must not throw.
 */
@FunctionalInterface
public interface EvictionListener {

  /**
   * @param report the report as written
   * @param partition the evictions topic partition it was written to
   * @param offset its offset there
   */
  void reported(EvictionReport report, int partition, long offset);

  /** A listener that does nothing. */
  EvictionListener NONE = (report, partition, offset) -> {};
}
