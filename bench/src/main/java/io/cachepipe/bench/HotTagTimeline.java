package io.cachepipe.bench;

import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * What the hot-key benchmark reads back after its storm: one tag's records on a topic, and how long
 * each update waited for the first eviction that covers it.
 */
final class HotTagTimeline {

  private HotTagTimeline() {}

  /**
   * For each update, from its commit to the first eviction of the hot tag that covers it: one whose
   * change committed at or after the update began (the writer is the only one writing).
   */
  static long[] coveringLatencies(List<long[]> updates, List<long[]> evictions) {
    long[] out = new long[updates.size()];
    int n = 0;
    int e = 0;
    for (long[] update : updates) {
      while (e < evictions.size() && evictions.get(e)[1] / 1000 < update[0]) {
        e++;
      }
      if (e == evictions.size()) {
        break;
      }
      out[n++] = Math.max(0, evictions.get(e)[0] - update[1]);
    }
    long[] latencies = Arrays.copyOf(out, n);
    Arrays.sort(latencies);
    return latencies;
  }

  /** Every record of {@code tag} on {@code topic}, from its beginning to its end now. */
  static List<ConsumerRecord<String, byte[]>> records(Settings settings, String topic, String tag) {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.get(Connections.KAFKA_BOOTSTRAP));
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          if (tag.equals(record.key())) {
            records.add(record);
          }
        }
      }
    }
    return records;
  }

  static long percentile(long[] sorted, double q) {
    return sorted.length == 0 ? -1 : sorted[(int) Math.min(sorted.length - 1, q * sorted.length)];
  }
}
