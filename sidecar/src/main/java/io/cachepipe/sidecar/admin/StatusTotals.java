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
    put(totals, "changes", registry, PipelineMeters.CHANGES, null, null);
    put(totals, "evictions", registry, PipelineMeters.EVICTIONS, null, null);
    put(totals, "keys_deleted", registry, PipelineMeters.KEYS_DELETED, null, null);
    put(totals, "fills_accepted", registry, PipelineMeters.CACHE_FILLS, "result", "accepted");
    put(totals, "fills_rejected", registry, PipelineMeters.CACHE_FILLS, "result", "rejected");
    put(totals, "warmed", registry, PipelineMeters.WARMER_RECOMPUTES, "outcome", "warmed");
    put(totals, "dead_lettered", registry, PipelineMeters.DEAD_LETTERED, null, null);
    Gauge queued = registry.find(PipelineMeters.WARMER_QUEUED).gauge();
    if (queued != null) {
      totals.put("warmer_queued", (long) queued.value());
    }
    return totals;
  }

  private static void put(
      Map<String, Object> totals,
      String key,
      MeterRegistry registry,
      String meter,
      String tag,
      String value) {
    var search = registry.find(meter);
    if (tag != null) {
      search = search.tag(tag, value);
    }
    var counters = search.functionCounters();
    if (!counters.isEmpty()) {
      totals.put(key, (long) counters.stream().mapToDouble(FunctionCounter::count).sum());
    }
  }
}
