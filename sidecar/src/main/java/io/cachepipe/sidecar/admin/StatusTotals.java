package io.cachepipe.sidecar.admin;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;

/** The status page's counts since start, read from the same meters as {@code /metrics}. */
final class StatusTotals {

  private StatusTotals() {}

  static Map<String, Object> of(MeterRegistry registry) {
    Map<String, Object> totals = new LinkedHashMap<>();
    put(totals, "changes", count(registry, PipelineMeters.CHANGES, null, null));
    put(totals, "evictions", count(registry, PipelineMeters.EVICTIONS, null, null));
    // Entries deleted by either evictor: each by one of them, since the second finds the tag
    // already evicted at that position. With the eviction at capture on, it deletes most.
    Long throughKafka = count(registry, PipelineMeters.KEYS_DELETED, null, null);
    Long atCapture = count(registry, PipelineMeters.EAGER_KEYS_DELETED, null, null);
    if (throughKafka != null || atCapture != null) {
      totals.put("keys_deleted", orZero(throughKafka) + orZero(atCapture));
    }
    put(totals, "keys_deleted_at_capture", atCapture);
    put(
        totals,
        "fills_accepted",
        count(registry, PipelineMeters.CACHE_FILLS, "result", "accepted"));
    put(
        totals,
        "fills_rejected",
        count(registry, PipelineMeters.CACHE_FILLS, "result", "rejected"));
    put(totals, "warmed", count(registry, PipelineMeters.WARMER_RECOMPUTES, "outcome", "warmed"));
    put(totals, "dead_lettered", count(registry, PipelineMeters.DEAD_LETTERED, null, null));
    Gauge queued = registry.find(PipelineMeters.WARMER_QUEUED).gauge();
    if (queued != null) {
      totals.put("warmer_queued", (long) queued.value());
    }
    return totals;
  }

  private static void put(Map<String, Object> totals, String key, Long count) {
    if (count != null) {
      totals.put(key, count);
    }
  }

  /** The sum of {@code meter}'s counters (with {@code tag} = {@code value}), or null if none. */
  private static Long count(MeterRegistry registry, String meter, String tag, String value) {
    var search = registry.find(meter);
    if (tag != null) {
      search = search.tag(tag, value);
    }
    var counters = search.functionCounters();
    if (counters.isEmpty()) {
      return null;
    }
    return (long) counters.stream().mapToDouble(FunctionCounter::count).sum();
  }

  private static long orZero(Long count) {
    return count == null ? 0 : count;
  }
}
