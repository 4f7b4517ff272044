package io.cachepipe.core.kafka;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;

/**
 * A batch its handler could not finish yet ({@link RetryBatchLater}), held by a {@link
 * CommittingPollLoop} until it is handed again. Not thread-safe: the consumer's thread uses it.
 */
final class HeldBatch<K, V> {

  private ConsumerRecords<K, V> records;
  private long dueNanos;

  HeldBatch(ConsumerRecords<K, V> records, long dueNanos) {
    this.records = records;
    this.dueNanos = dueNanos;
  }

  ConsumerRecords<K, V> records() {
    return records;
  }

  boolean isDue(long nowNanos) {
    return nowNanos - dueNanos >= 0;
  }

  void dueAt(long nanos) {
    dueNanos = nanos;
  }

  /**
   * Forgets the records of partitions this consumer no longer owns: their next owner reads them
   * again from the last commit.
   *
   * @return whether records are left
   */
  boolean drop(Collection<TopicPartition> gone) {
    Map<TopicPartition, List<ConsumerRecord<K, V>>> kept = new HashMap<>();
    for (TopicPartition partition : records.partitions()) {
      if (!gone.contains(partition)) {
        kept.put(partition, records.records(partition));
      }
    }
    if (kept.size() != records.partitions().size()) {
      records = new ConsumerRecords<>(kept, Map.of());
    }
    return !kept.isEmpty();
  }
}
