package io.cachepipe.invalidator;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/** The eviction step: deletes every entry registered under a tag, atomically per tag. */
public interface TagEvictor {

  /**
   * Evicts each of {@code tags}: bumps its version, deletes every key registered under it and the
   * registry. Idempotent: evicting a tag twice leaves the same state as once (its version aside,
   * which only grows). Blocks until Redis applied all of them, retrying while it is unreachable.
   *
   * @return per tag, the registered keys that existed when they were deleted
   */
  Map<String, List<String>> evict(Collection<String> tags);
}
