package io.cachepipe.invalidator;

import io.cachepipe.core.change.Invalidation;
import io.cachepipe.redis.evict.TagEvictor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The invalidations of one poll, deduplicated by tag: a tag invalidated by many changes (one
 * transaction touching many rows, a hot author under a write storm) is evicted once, and the
 * eviction carries its newest invalidation: the one of the latest commit.
 */
final class InvalidationBatch {

  private final List<Invalidation> all = new ArrayList<>();
  private final Map<String, Invalidation> newestByTag = new LinkedHashMap<>();

  void add(Invalidation invalidation) {
    all.add(invalidation);
    newestByTag.merge(
        invalidation.tag(), invalidation, (old, now) -> now.supersedes(old) ? now : old);
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

  /**
   * The distinct tags with the commit position each is evicted at, in first-seen order. A change
   * without a known position (none is ever 0 in the WAL) is evicted whatever the tag's position.
   */
  Map<String, Long> positions() {
    Map<String, Long> positions = new LinkedHashMap<>();
    newestByTag.forEach(
        (tag, invalidation) ->
            positions.put(
                tag,
                invalidation.commitLsn() > 0
                    ? invalidation.commitLsn()
                    : TagEvictor.UNCONDITIONAL));
    return positions;
  }
}
