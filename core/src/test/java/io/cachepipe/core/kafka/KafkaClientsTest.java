package io.cachepipe.core.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.core.config.Settings;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaClientsTest {

  @Test
  void bootstrapServersAndSecurityKeysGoToEveryClient() {
    Settings settings =
        Settings.of(
            Map.of(
                "kafka.bootstrap.servers", "k1:9093",
                "kafka.security.protocol", "SASL_SSL",
                "kafka.sasl.mechanism", "PLAIN",
                "kafka.sasl.jaas.config", "PlainLoginModule required;",
                "kafka.ssl.truststore.location", "/etc/ts.jks",
                "kafka.streams.num.stream.threads", "2",
                "kafka.producer.linger.ms", "5",
                "kafka.consumer.max.poll.records", "10"));

    assertThat(KafkaClients.shared(settings))
        .containsOnly(
            Map.entry("bootstrap.servers", "k1:9093"),
            Map.entry("security.protocol", "SASL_SSL"),
            Map.entry("sasl.mechanism", "PLAIN"),
            Map.entry("sasl.jaas.config", "PlainLoginModule required;"),
            Map.entry("ssl.truststore.location", "/etc/ts.jks"));
  }

  @Test
  void withoutSecurityKeysOnlyTheBootstrapServers() {
    assertThat(KafkaClients.shared(Settings.empty()))
        .containsOnly(Map.entry("bootstrap.servers", "127.0.0.1:9092"));
  }

  @Test
  void aManualCommitConsumerJoinsItsGroupWithoutAutoCommitAndReadsFromTheStart() {
    Map<String, Object> config =
        KafkaClients.manualCommitConsumer(
            KafkaClients.shared(Settings.empty()), "cachepipe-warmer", Map.of());

    assertThat(config)
        .containsOnly(
            Map.entry("bootstrap.servers", "127.0.0.1:9092"),
            Map.entry("group.id", "cachepipe-warmer"),
            Map.entry("enable.auto.commit", false),
            Map.entry("auto.offset.reset", "earliest"));
  }

  @Test
  void anAcknowledgedProducerWaitsForAllReplicasAndSendsAtOnce() {
    Map<String, Object> config =
        KafkaClients.acknowledgedProducer(
            KafkaClients.shared(Settings.empty()), "cachepipe-cdc", Map.of());

    assertThat(config)
        .containsOnly(
            Map.entry("bootstrap.servers", "127.0.0.1:9092"),
            Map.entry("client.id", "cachepipe-cdc"),
            Map.entry("acks", "all"),
            Map.entry("enable.idempotence", true),
            Map.entry("linger.ms", 0));
  }

  @Test
  void passThroughKeysOverrideWhatTheClientsSet() {
    Map<String, Object> shared = KafkaClients.shared(Settings.empty());

    assertThat(
            KafkaClients.manualCommitConsumer(
                shared, "g", Map.of("auto.offset.reset", "latest", "max.poll.records", "10")))
        .containsEntry("auto.offset.reset", "latest")
        .containsEntry("max.poll.records", "10");
    assertThat(KafkaClients.acknowledgedProducer(shared, "c", Map.of("linger.ms", "5")))
        .containsEntry("linger.ms", "5")
        .containsEntry("acks", "all");
  }
}
