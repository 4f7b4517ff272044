package io.cachepipe.auditor;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A uniform random sample of at most {@code capacity} items of a stream of unknown length, in
 * memory bounded by the capacity (reservoir sampling, Algorithm R): after {@code n} offers, each of
 * them is in the sample with probability {@code min(1, capacity / n)}. Not thread-safe.
 */
final class Reservoir<T> {

  private final int capacity;
  private final RandomGenerator random;
  private final List<T> items;
  private long offered;

  Reservoir(int capacity, RandomGenerator random) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
    }
    this.capacity = capacity;
    this.random = random;
    this.items = new ArrayList<>(Math.min(capacity, 1024));
  }

  void offer(T item) {
    offered++;
    if (items.size() < capacity) {
      items.add(item);
      return;
    }
    long slot = random.nextLong(offered);
    if (slot < capacity) {
      items.set((int) slot, item);
    }
  }

  /** The sample. */
  List<T> items() {
    return items;
  }

  /** How many items were offered. */
  long offered() {
    return offered;
  }
}
