package io.cachepipe.redis.evict;

import io.cachepipe.core.change.EvictionReport;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The eviction step: deletes every entry registered under a tag, at the commit position of the
 * change that caused it. Each tag remembers the newest position it was evicted at; an eviction at
 * or below it changes nothing, so a replay after a crash, or a second evictor (one at capture, one
 * behind Kafka) evicting the same change, costs nothing and rejects no fill made since.
 */
public interface TagEvictor {

  /**
   * The position of an eviction that applies whatever position the tag holds, and forgets it: the
   * flush of the whole cache, whose positions may come from another WAL history.
   */
  long UNCONDITIONAL = -1;

  /**
   * Evicts each tag of {@code positions} at its commit position: unless the tag was evicted at that
   * position or a later one, bumps its version, records the position and deletes every key
   * registered under it before the bump (a large registry in chunks, none of which blocks Redis for
   * long). Either way, finishes the deletions that earlier evictions of the tag left unfinished.
   * Then, once those evictions are done, advances the watermark's {@code parts}. Blocks until Redis
   * applied all of it, retrying while it is unreachable; a tag Redis refuses for good is given up
   * (see {@link Run#tryFor}).
   *
   * @param positions per tag, the commit position to evict it at ({@link #UNCONDITIONAL} for any)
   * @param parts per part of the watermark, the position its evictions now reach; may be empty
   * @param expectedParts how many parts the watermark has
   */
  default Evicted evict(Map<String, Long> positions, Map<String, Long> parts, int expectedParts) {
    Run run = start(positions, parts, expectedParts);
    while (true) {
      Evicted evicted = run.tryFor(Duration.ofMinutes(1));
      if (evicted != null) {
        return evicted;
      }
    }
  }

  /**
   * The eviction of {@link #evict}, driven by the caller a bounded while at a time ({@link
   * Run#tryFor}), so that a consumer can keep polling while Redis is unreachable. What earlier
   * calls did is kept: the live keys deleted by an attempt are reported even if a later attempt
   * finds the tag already evicted.
   */
  Run start(Map<String, Long> positions, Map<String, Long> parts, int expectedParts);

  /** An eviction in progress (see {@link #start}); not thread-safe. */
  interface Run {

    /**
     * Attempts the eviction until Redis applied it, retrying transient failures with backoff, but
     * for no longer than about {@code budget}. A tag (or the watermark) that Redis refuses for good
     * (an error reply no retry cures: WRONGTYPE, CROSSSLOT, NOPERM, a script error) is given up and
     * named in the result, and the rest is applied.
     *
     * @return what the eviction did, or null if Redis kept failing for the whole budget
     * @throws IllegalStateException if the evictor was closed meanwhile
     */
    Evicted tryFor(Duration budget);

    /** The reason of the last transient failure, or null if the last attempt did not fail. */
    String lastFailure();
  }

  /**
   * What an eviction step did.
   *
   * @param tags per tag, what its eviction did
   * @param watermark the watermark after the step; -1 while some part has not reported, and -2 if
   *     the step carried no part or Redis refused it
   * @param watermarkFailure why Redis refused the watermark's advance for good, or null
   */
  record Evicted(Map<String, EvictedTag> tags, long watermark, String watermarkFailure) {

    public Evicted(Map<String, EvictedTag> tags, long watermark) {
      this(tags, watermark, null);
    }

    /** Per tag, the live keys listed. */
    public Map<String, List<String>> live() {
      Map<String, List<String>> live = new LinkedHashMap<>();
      tags.forEach((tag, evicted) -> live.put(tag, evicted.liveKeys()));
      return live;
    }
  }

  /**
   * What the eviction of one tag did.
   *
   * @param skipped the tag had been evicted at this position or a later one: no version moved, no
   *     entry filled since was deleted
   * @param liveKeys the deleted keys that existed (were cached); at most {@link
   *     EvictionReport#MAX_LISTED_KEYS}
   * @param liveCount how many deleted keys existed, listed or not
   * @param failure why Redis refused the tag's eviction for good (it was given up), or null
   */
  record EvictedTag(boolean skipped, List<String> liveKeys, long liveCount, String failure) {

    public EvictedTag {
      liveKeys = List.copyOf(liveKeys);
    }

    public EvictedTag(boolean skipped, List<String> liveKeys, long liveCount) {
      this(skipped, liveKeys, liveCount, null);
    }

    /** Whether Redis refused the eviction for good. */
    public boolean failed() {
      return failure != null;
    }
  }
}
