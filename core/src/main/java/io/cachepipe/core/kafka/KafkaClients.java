package io.cachepipe.core.kafka;

import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * What every Kafka client cachepipe creates shares: the bootstrap servers and the keys that secure
 * the connection ({@code kafka.security.protocol}, {@code kafka.sasl.*}, {@code kafka.ssl.*}),
 * given with {@code kafka.} removed to admin clients, producers, consumers, Kafka Streams and the
 * Debezium engine's offset store alike.
 */
public final class KafkaClients {

  /** Prefix of the keys that go to Kafka clients. */
  public static final String PREFIX = "kafka.";

  /** Keys under {@link #PREFIX} that start with one of these go to every client. */
  public static final List<String> SHARED = List.of("security.", "sasl.", "ssl.");

  private KafkaClients() {}

  /** The shared client properties of {@code settings}; a client adds its own on top. */
  public static Map<String, Object> shared(Settings settings) {
    Map<String, Object> config = new HashMap<>();
    config.put("bootstrap.servers", settings.get(Connections.KAFKA_BOOTSTRAP));
    settings
        .subtree(PREFIX)
        .forEach(
            (key, value) -> {
              if (SHARED.stream().anyMatch(key::startsWith)) {
                config.put(key, value);
              }
            });
    return config;
  }

  /**
   * A consumer for a stage that commits its offsets itself, after it processed what they pass: in
   * group {@code groupId}, auto commit off, reading a partition from its start when the group has
   * no offset there. Keys and values are (de)serialized by the instances the caller gives the
   * consumer.
   *
   * @param shared what every client gets ({@link #shared})
   * @param overrides the stage's pass-through keys, applied last
   */
  public static Map<String, Object> manualCommitConsumer(
      Map<String, Object> shared, String groupId, Map<String, ?> overrides) {
    Map<String, Object> config = new HashMap<>(shared);
    config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.putAll(overrides);
    return config;
  }

  /**
   * A producer whose sends complete only once every in-sync replica has the record (acks=all,
   * idempotent), so a stage may commit what produced them; each record leaves at once (linger 0),
   * since latency is the product. Keys and values are serialized by the instances the caller gives
   * the producer.
   *
   * @param shared what every client gets ({@link #shared})
   * @param overrides the stage's pass-through keys, applied last
   */
  public static Map<String, Object> acknowledgedProducer(
      Map<String, Object> shared, String clientId, Map<String, ?> overrides) {
    Map<String, Object> config = new HashMap<>(shared);
    config.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    config.putAll(overrides);
    return config;
  }

  /**
   * How long a stage may work on a batch before it polls again: a quarter of the consumer's {@code
   * max.poll.interval.ms}, at most 5 s, so that slow work never costs it its partitions (see {@link
   * RetryBatchLater}).
   *
   * @param consumerConfig the consumer's configuration
   */
  public static Duration pollBudget(Map<String, ?> consumerConfig) {
    Object configured = consumerConfig.get(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG);
    long maxPoll = configured == null ? 300_000 : Long.parseLong(configured.toString().strip());
    return Duration.ofMillis(Math.max(100, Math.min(5_000, maxPoll / 4)));
  }
}
