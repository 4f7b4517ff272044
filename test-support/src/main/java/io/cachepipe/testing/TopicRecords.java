package io.cachepipe.testing;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads a topic from its beginning, as bytes, without a consumer group. */
public final class TopicRecords {

  private TopicRecords() {}

  /**
   * Reads every partition of {@code topic} from the beginning until what was read satisfies {@code
   * enough}, waiting at most {@code wait} (then the awaiting fails, naming {@code what}).
   */
  public static List<ConsumerRecord<byte[], byte[]>> readUntil(
      String bootstrapServers,
      String topic,
      String what,
      Predicate<List<ConsumerRecord<byte[], byte[]>>> enough,
      Duration wait) {
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            Map.of("bootstrap.servers", bootstrapServers),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      await(what)
          .atMost(wait)
          .until(
              () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return enough.test(records);
              });
    }
    return records;
  }
}
