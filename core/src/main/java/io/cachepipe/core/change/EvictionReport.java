package io.cachepipe.core.change;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import io.cachepipe.core.json.JsonContract;
import java.util.List;

/**
 * What one eviction step did in Redis, written to the evictions topic after the step completed. The
 * warmer reads it rather than the invalidations topic, because it must act after the eviction: a
 * recompute that raced ahead of it would be deleted by it.
 *
 * @param version schema version ({@link #SCHEMA_VERSION})
 * @param tag the evicted tag
 * @param lsn log sequence number of the change that caused it
 * @param commitLsn commit position of that change's transaction ({@link ChangeEvent#commitLsn})
 * @param commitMicros commit time of that change, microseconds since the epoch
 * @param liveKeys registered keys that still existed (were cached) when they were deleted: all of
 *     them, or for a tag with more than fit the first {@link #MAX_LISTED_KEYS}, and no more than
 *     {@link #MAX_LISTED_BYTES} of them
 * @param liveCount how many registered keys existed when they were deleted, listed or not
 * @param skipped the tag had already been evicted at this commit position or a later one (a replay,
 *     or the same change evicted by another evictor first): its version did not move and no entry
 *     filled since was deleted. {@code liveKeys} then holds only what it deleted of an earlier
 *     eviction's work left unfinished.
 */
public record EvictionReport(
    @JsonProperty("v") int version,
    @JsonProperty("tag") String tag,
    @JsonProperty("lsn") long lsn,
    @JsonProperty("commit_lsn") @JsonSetter(nulls = Nulls.AS_EMPTY) long commitLsn,
    @JsonProperty("commit_ts_us") long commitMicros,
    @JsonProperty("live_keys") List<String> liveKeys,
    @JsonProperty("live_count") @JsonSetter(nulls = Nulls.AS_EMPTY) long liveCount,
    @JsonProperty("skipped") @JsonSetter(nulls = Nulls.AS_EMPTY) boolean skipped) {

  public static final int SCHEMA_VERSION = 1;

  /**
   * The most live keys one report lists, so that a report of a tag with a million entries stays far
   * below Kafka's message size limit.
   */
  public static final int MAX_LISTED_KEYS = 10_000;

  /**
   * The most bytes the listed keys take in a report ({@link #listedSize}): half of Kafka's default
   * message size limit, so that a report of long keys is still accepted (ten thousand keys of 200
   * bytes would not be, and the step would hold its commit on it for good).
   */
  public static final int MAX_LISTED_BYTES = 512 * 1024;

  /** The evictions topic's message contract. */
  public static final JsonContract<EvictionReport> CONTRACT =
      new JsonContract<>(
          "eviction report", EvictionReport.class, SCHEMA_VERSION, EvictionReport::version);

  public EvictionReport {
    if (tag == null || tag.isBlank()) {
      throw new IllegalArgumentException("missing field 'tag'");
    }
    liveKeys = liveKeys == null ? List.of() : List.copyOf(liveKeys);
    // Written before these fields existed: every live key was listed, positions were LSNs.
    liveCount = Math.max(liveCount, liveKeys.size());
    commitLsn = commitLsn > 0 ? commitLsn : lsn;
  }

  /**
   * The most bytes {@code key} takes in a report's JSON: its characters as UTF-8, escaped where
   * JSON escapes them, its quotes and a comma.
   */
  public static int listedSize(String key) {
    int size = 3;
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < 0x20 || Character.isSurrogate(c)) {
        size += 6; // escaped as six characters (the JSON writer escapes each half of a pair)
      } else if (c == '"' || c == '\\') {
        size += 2;
      } else if (c < 0x80) {
        size += 1;
      } else if (c < 0x800) {
        size += 2;
      } else {
        size += 3;
      }
    }
    return size;
  }

  /**
   * The report of evicting {@code invalidation}'s tag.
   *
   * @param liveKeys the live keys to list (at most {@link #MAX_LISTED_KEYS})
   * @param liveCount how many keys were live, listed or not
   * @param skipped whether the eviction was skipped as already done
   */
  public static EvictionReport of(
      Invalidation invalidation, List<String> liveKeys, long liveCount, boolean skipped) {
    return new EvictionReport(
        SCHEMA_VERSION,
        invalidation.tag(),
        invalidation.lsn(),
        invalidation.commitLsn(),
        invalidation.commitMicros(),
        liveKeys,
        liveCount,
        skipped);
  }
}
