package io.cachepipe.invalidator;

import io.cachepipe.core.change.Invalidation;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The invalidations of one poll, deduplicated by tag: a tag invalidated by many changes (one
 * transaction touching many rows, a hot author under a write storm) is evicted once, and the
 * eviction carries its newest invalidation.
 */
final class InvalidationBatch {

  private final List<Invalidation> all = new ArrayList<>();
  private final Map<String, Invalidation> newestByTag = new LinkedHashMap<>();

  void add(Invalidation invalidation) {
    all.add(invalidation);
    newestByTag.merge(
        invalidation.tag(), invalidation, (old, now) -> now.lsn() >= old.lsn() ? now : old);
  }

  boolean isEmpty() {
    return all.isEmpty();
  }

  /** Every invalidation of the batch, in order, duplicates included. */
  List<Invalidation> all() {
    return Collections.unmodifiableList(all);
  }

  /** The distinct tags with the newest invalidation of each, in first-seen order. */
  Map<String, Invalidation> byTag() {
    return Collections.unmodifiableMap(newestByTag);
  }
}
