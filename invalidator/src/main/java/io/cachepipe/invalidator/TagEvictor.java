package io.cachepipe.invalidator;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/** The eviction step: deletes every entry registered under a tag, atomically per tag. */
public interface TagEvictor {

  /**
   * Evicts each of {@code tags}: bumps its version, deletes every key registered under it and the
   * registry. Idempotent: evicting a tag twice leaves the same state as once (its version aside,
   * which only grows). Then, once those evictions are applied, advances the watermark's {@code
   * parts}. Blocks until Redis applied all of it, retrying while it is unreachable.
   *
   * @param parts per part of the watermark, the position its evictions now reach; may be empty
   * @param expectedParts how many parts the watermark has
   */
  Evicted evict(Collection<String> tags, Map<String, Long> parts, int expectedParts);

  /**
   * What an eviction step did.
   *
   * @param live per tag, the registered keys that existed when they were deleted
   * @param watermark the watermark after the step; -1 while some part has not reported, and -2 if
   *     the step carried no part
   */
  record Evicted(Map<String, List<String>> live, long watermark) {}
}
