package io.cachepipe.invalidator;

import java.util.List;

/** The eviction step: deletes every entry registered under a tag, atomically. */
public interface TagEvictor {

  /**
   * Evicts {@code tag}: bumps its version, deletes every key registered under it and the registry.
   * Idempotent: evicting the same tag twice leaves the same state as once (its version aside, which
   * only ever grows).
   *
   * @return the registered keys that existed when they were deleted
   */
  List<String> evict(String tag);
}
