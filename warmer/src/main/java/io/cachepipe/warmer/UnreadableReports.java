package io.cachepipe.warmer;

import io.cachepipe.core.kafka.DeadLetters;
import io.cachepipe.core.kafka.Deliveries;
import io.cachepipe.core.kafka.KafkaClients;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Eviction reports the warmer cannot read (written by something other than cachepipe, or by a
 * version it does not know): each is dead-lettered with its original bytes and the reason, and the
 * batch is committed only once Kafka has every dead letter of it, so that none is lost. The
 * producer is made on the first dead letter: most warmers never need one. Not thread-safe: the
 * warmer's consumer thread uses it.
 */
final class UnreadableReports implements AutoCloseable {

  static final String STAGE = "warmer";

  private static final Logger LOG = LoggerFactory.getLogger(UnreadableReports.class);

  private final Map<String, Object> kafkaClient;
  private final String topic;
  private final LongAdder deadLettered = new LongAdder();
  private KafkaProducer<String, byte[]> producer;
  private Deliveries<String, byte[]> deliveries;

  UnreadableReports(Map<String, Object> kafkaClient, String topic) {
    this.kafkaClient = kafkaClient;
    this.topic = topic;
  }

  /** Dead-letters {@code record}, which could not be read for {@code reason}. */
  void deadLetter(ConsumerRecord<String, byte[]> record, String reason) {
    String source = record.topic() + "/" + record.partition() + "@" + record.offset();
    LOG.warn("dead-lettering unreadable eviction report at {}: {}", source, reason);
    if (deliveries == null) {
      producer =
          new KafkaProducer<>(
              KafkaClients.acknowledgedProducer(
                  kafkaClient, "cachepipe-warmer-dead-letters", Map.of()),
              new StringSerializer(),
              new ByteArraySerializer());
      deliveries = new Deliveries<>(producer);
    }
    deliveries.send(
        new ProducerRecord<>(
            topic, null, record.key(), record.value(), DeadLetters.headers(STAGE, reason, source)),
        written -> deadLettered.increment());
  }

  /**
   * Waits at most about {@code budget} for Kafka to have every dead letter sent (sending again
   * those that failed).
   *
   * @return whether it has them all
   */
  boolean awaitAll(Duration budget) {
    return deliveries == null || deliveries.awaitAll(budget);
  }

  /** Why the last dead letter that failed did, or null. */
  String lastFailure() {
    return deliveries == null ? null : deliveries.lastFailure();
  }

  /** Dead letters Kafka has acknowledged. */
  long deadLettered() {
    return deadLettered.sum();
  }

  @Override
  public void close() {
    if (producer != null) {
      producer.close(Duration.ofSeconds(5));
    }
  }
}
