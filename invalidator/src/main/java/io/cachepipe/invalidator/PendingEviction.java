package io.cachepipe.invalidator;

import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.change.Watermark;
import io.cachepipe.core.json.MalformedMessageException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;

/**
 * One poll of the invalidations topic, read once and kept while the eviction step works on it, a
 * bounded while at a time: the invalidations deduplicated by tag, the watermark parts, and the
 * records each came from (a tag Redis refuses for good is dead-lettered with its original bytes).
 */
final class PendingEviction {

  /** A record that could not be read, and why. */
  record Unreadable(ConsumerRecord<String, byte[]> record, String reason) {}

  final ConsumerRecords<String, byte[]> records;
  final InvalidationBatch batch = new InvalidationBatch();
  final Map<String, Long> watermarkParts = new HashMap<>();
  final Map<String, List<ConsumerRecord<String, byte[]>>> recordsByTag = new LinkedHashMap<>();
  final List<ConsumerRecord<String, byte[]>> watermarkRecords = new ArrayList<>();
  final List<Unreadable> unreadable = new ArrayList<>();
  int sources;

  PendingEviction(ConsumerRecords<String, byte[]> records) {
    this.records = records;
    for (ConsumerRecord<String, byte[]> record : records) {
      try {
        if (Watermark.isWatermark(record.headers())) {
          Watermark watermark = Watermark.CONTRACT.decode(record.value());
          watermarkParts.merge(
              record.partition() + "/" + watermark.source(), watermark.lsn(), Math::max);
          sources = Math.max(sources, watermark.sources());
          watermarkRecords.add(record);
        } else {
          Invalidation invalidation = Invalidation.CONTRACT.decode(record.value());
          batch.add(invalidation);
          recordsByTag.computeIfAbsent(invalidation.tag(), t -> new ArrayList<>()).add(record);
        }
      } catch (MalformedMessageException e) {
        unreadable.add(new Unreadable(record, e.getMessage()));
      }
    }
  }

  boolean hasWork() {
    return !batch.isEmpty() || !watermarkParts.isEmpty();
  }
}
