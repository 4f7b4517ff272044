package io.cachepipe.core.kafka;

import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
}
