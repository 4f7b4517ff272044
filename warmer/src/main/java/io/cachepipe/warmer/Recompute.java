package io.cachepipe.warmer;

import io.cachepipe.core.change.EvictionReport;
import io.cachepipe.core.json.MalformedMessageException;
import io.cachepipe.core.warm.WarmableEntry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** One entry to recompute: its kind, key and key placeholders. */
record Recompute(WarmableEntry entry, String key, Map<String, String> params) {

  /**
   * Distinct live keys of warmable kinds in {@code records}: a burst yields one recompute each. A
   * record that is not a readable report goes to {@code unreadable} with the reason.
   */
  static Map<String, Recompute> liveWarmableKeys(
      List<WarmableEntry> entries,
      List<ConsumerRecord<String, byte[]>> records,
      BiConsumer<ConsumerRecord<String, byte[]>, String> unreadable) {
    Map<String, Recompute> keys = new LinkedHashMap<>();
    for (ConsumerRecord<String, byte[]> record : records) {
      EvictionReport report;
      try {
        report = EvictionReport.CONTRACT.decode(record.value());
      } catch (MalformedMessageException e) {
        unreadable.accept(record, e.getMessage());
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
