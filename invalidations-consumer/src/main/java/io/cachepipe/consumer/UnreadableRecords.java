package io.cachepipe.consumer;

import io.cachepipe.core.kafka.DeadLetters;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What becomes of a record that is not a readable invalidation or watermark: a dead letter
 * (original key and value, headers with the reason and where it was read) when a dead-letter topic
 * is configured, else it is skipped and counted. A dead letter that cannot be written (no write
 * rights, topic missing) is skipped and counted too: one foreign record must not hold back every
 * invalidation behind it, which would leave whatever they drop stale.
 */
final class UnreadableRecords implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(UnreadableRecords.class);

  private final Producer<byte[], byte[]> producer;
  private final String topic;
  private final String stage;
  private final ConsumerStats stats;
  private final List<Future<RecordMetadata>> pending = new ArrayList<>();

  private UnreadableRecords(
      Producer<byte[], byte[]> producer, String topic, String stage, ConsumerStats stats) {
    this.producer = producer;
    this.topic = topic;
    this.stage = stage;
    this.stats = stats;
  }

  /** Skips unreadable records, counting them in {@link ConsumerStats#skipped()}. */
  static UnreadableRecords skipping(ConsumerStats stats) {
    return new UnreadableRecords(null, null, null, stats);
  }

  /** Writes unreadable records to {@code topic} with {@code producer}, naming {@code stage}. */
  static UnreadableRecords deadLettering(
      Producer<byte[], byte[]> producer, String topic, String stage, ConsumerStats stats) {
    return new UnreadableRecords(producer, topic, stage, stats);
  }

  void unreadable(ConsumerRecord<byte[], byte[]> record, String reason) {
    String source = record.topic() + "/" + record.partition() + "@" + record.offset();
    if (producer == null) {
      LOG.warn("skipping unreadable record at {} (no dead-letter topic): {}", source, reason);
      stats.skipped.increment();
      return;
    }
    LOG.warn("dead-lettering unreadable record at {} to {}: {}", source, topic, reason);
    try {
      pending.add(
          producer.send(
              DeadLetters.record(topic, record.key(), record.value(), stage, reason, source)));
    } catch (RuntimeException e) {
      failed(e);
    }
  }

  /** Waits until the dead letters of the batch are written (or failed), before its commit. */
  void flush() {
    if (pending.isEmpty()) {
      return;
    }
    producer.flush();
    for (Future<RecordMetadata> sent : pending) {
      try {
        sent.get();
        stats.deadLettered.increment();
      } catch (ExecutionException e) {
        failed(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failed(e);
      }
    }
    pending.clear();
  }

  private void failed(Throwable e) {
    LOG.error("cannot write a dead letter to {}, skipping the record: {}", topic, e.toString());
    stats.skipped.increment();
  }

  @Override
  public void close() {
    if (producer != null) {
      producer.close();
    }
  }
}
