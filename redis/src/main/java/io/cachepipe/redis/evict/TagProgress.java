package io.cachepipe.redis.evict;

import io.cachepipe.core.change.EvictionReport;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * How far the eviction of one tag has come within one call of {@link TagEvictor#evict}, kept across
 * the attempts at its batch: a retry after a failure repeats the tag's step (which then finds the
 * tag evicted at its position and skips), so what the first attempt did must not be forgotten.
 * Lists at most {@link EvictionReport#MAX_LISTED_KEYS} live keys, in at most {@link
 * EvictionReport#MAX_LISTED_BYTES}, and counts them all.
 */
final class TagProgress {

  final String tag;
  final long position;
  private boolean applied;
  private final List<String> liveKeys = new ArrayList<>();
  private long liveCount;
  private long listedBytes;
  private String failure;

  /** Drain keys (registries moved aside) to delete, as the tag's step last named them. */
  final Set<String> drains = new LinkedHashSet<>();

  /** Redis Cluster: keys taken off a registry that are yet to be deleted on their nodes. */
  final Set<String> toDelete = new LinkedHashSet<>();

  TagProgress(String tag, long position) {
    this.tag = tag;
    this.position = position;
  }

  /** Takes in the reply of the tag's eviction step ({@code evict_tag.lua}). */
  void stepped(List<Object> reply, boolean deletedHere) {
    applied |= number(reply.get(0)) == 1;
    int drainCount = (int) number(reply.get(1));
    drains.clear();
    for (int i = 2; i < 2 + drainCount; i++) {
      drains.add(String.valueOf(reply.get(i)));
    }
    took(reply.subList(2 + drainCount, reply.size()), deletedHere);
  }

  /**
   * Takes in the reply of one chunk of {@code drain} ({@code evict_chunk.lua}).
   *
   * @return whether the drain key has members left
   */
  boolean chunked(String drain, List<Object> reply, boolean deletedHere) {
    took(reply.subList(1, reply.size()), deletedHere);
    boolean left = number(reply.get(0)) > 0;
    if (!left) {
      drains.remove(drain);
    }
    return left;
  }

  private void took(List<Object> keys, boolean deletedHere) {
    for (Object key : keys) {
      if (deletedHere) {
        live(String.valueOf(key));
      } else {
        toDelete.add(String.valueOf(key));
      }
    }
  }

  /** Counts {@code key} as one that existed when it was deleted. */
  void live(String key) {
    liveCount++;
    int size = EvictionReport.listedSize(key);
    if (liveKeys.size() < EvictionReport.MAX_LISTED_KEYS
        && listedBytes + size <= EvictionReport.MAX_LISTED_BYTES) {
      liveKeys.add(key);
      listedBytes += size;
    }
  }

  /** Redis refused the tag's eviction for good: no further attempt includes it. */
  void failed(String reason) {
    failure = reason;
    drains.clear();
    toDelete.clear();
  }

  boolean isFailed() {
    return failure != null;
  }

  TagEvictor.EvictedTag result() {
    return new TagEvictor.EvictedTag(!applied, liveKeys, liveCount, failure);
  }

  private static long number(Object value) {
    return value instanceof Long n ? n : Long.parseLong(String.valueOf(value));
  }
}
