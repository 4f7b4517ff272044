package io.cachepipe.warmer;

import io.cachepipe.core.change.EvictionReport;
import io.cachepipe.core.json.MalformedMessageException;
import io.cachepipe.core.warm.WarmableEntry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One entry to recompute: its kind, key and key placeholders. */
record Recompute(WarmableEntry entry, String key, Map<String, String> params) {

  private static final Logger LOG = LoggerFactory.getLogger(Recompute.class);

  /** Distinct live keys of warmable kinds in {@code records}: a burst yields one recompute each. */
  static Map<String, Recompute> liveWarmableKeys(
      List<WarmableEntry> entries, List<ConsumerRecord<String, byte[]>> records) {
    Map<String, Recompute> keys = new LinkedHashMap<>();
    for (ConsumerRecord<String, byte[]> record : records) {
      EvictionReport report;
      try {
        report = EvictionReport.CONTRACT.decode(record.value());
      } catch (MalformedMessageException e) {
        LOG.warn(
            "skipping unreadable eviction report at {}@{}: {}",
            record.partition(),
            record.offset(),
            e.getMessage());
        continue;
      }
      addLiveWarmableKeys(entries, report, keys);
    }
    return keys;
  }

  static void addLiveWarmableKeys(
      List<WarmableEntry> entries, EvictionReport report, Map<String, Recompute> keys) {
    for (String key : report.liveKeys()) {
      for (WarmableEntry entry : entries) {
        entry
            .match(key)
            .ifPresent(params -> keys.putIfAbsent(key, new Recompute(entry, key, params)));
      }
    }
  }
}
