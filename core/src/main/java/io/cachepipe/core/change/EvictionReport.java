package io.cachepipe.core.change;

import com.fasterxml.jackson.annotation.JsonProperty;
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
 * @param commitMicros commit time of that change, microseconds since the epoch
 * @param liveKeys the registered keys that still existed (were cached) when they were deleted
 */
public record EvictionReport(
    @JsonProperty("v") int version,
    @JsonProperty("tag") String tag,
    @JsonProperty("lsn") long lsn,
    @JsonProperty("commit_ts_us") long commitMicros,
    @JsonProperty("live_keys") List<String> liveKeys) {

  public static final int SCHEMA_VERSION = 1;

  /** The evictions topic's message contract. */
  public static final JsonContract<EvictionReport> CONTRACT =
      new JsonContract<>(
          "eviction report", EvictionReport.class, SCHEMA_VERSION, EvictionReport::version);

  public EvictionReport {
    if (tag == null || tag.isBlank()) {
      throw new IllegalArgumentException("missing field 'tag'");
    }
    liveKeys = liveKeys == null ? List.of() : List.copyOf(liveKeys);
  }

  public static EvictionReport of(Invalidation invalidation, List<String> liveKeys) {
    return new EvictionReport(
        SCHEMA_VERSION,
        invalidation.tag(),
        invalidation.lsn(),
        invalidation.commitMicros(),
        liveKeys);
  }
}
