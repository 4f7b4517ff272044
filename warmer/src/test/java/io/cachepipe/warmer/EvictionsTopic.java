package io.cachepipe.warmer;

import io.cachepipe.core.change.EvictionReport;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.kafka.KafkaClients;
import io.cachepipe.core.kafka.TopicCreator;
import io.cachepipe.testing.GroupOffsets;
import java.util.List;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** What the warmer's tests write to its evictions topic, and what its group committed. */
final class EvictionsTopic {

  private EvictionsTopic() {}

  /** A report of tag {@code user:<user>} that found {@code key} cached. */
  static byte[] liveKeyReport(String key, int user) {
    return EvictionReport.CONTRACT.encode(
        new EvictionReport(
            EvictionReport.SCHEMA_VERSION,
            "user:" + user,
            user,
            user,
            System.currentTimeMillis() * 1000,
            List.of(key),
            1,
            false));
  }

  /**
   * Writes {@code values} to the evictions topic, in this order, and waits until Kafka has them.
   */
  static void send(Settings settings, List<byte[]> values) {
    Topics topics = Topics.from(settings);
    TopicCreator.ensure(KafkaClients.shared(settings), topics);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            KafkaClients.shared(settings), new StringSerializer(), new ByteArraySerializer())) {
      for (byte[] value : values) {
        producer.send(new ProducerRecord<>(topics.evictions(), "report", value));
      }
      producer.flush();
    }
  }

  /** The offsets the warmer's group committed, summed over partitions. */
  static long committed(Settings settings) throws Exception {
    String group = WarmerConfig.from(settings).groupId();
    try (Admin admin = Admin.create(KafkaClients.shared(settings))) {
      return GroupOffsets.committedSum(admin, group);
    }
  }
}
