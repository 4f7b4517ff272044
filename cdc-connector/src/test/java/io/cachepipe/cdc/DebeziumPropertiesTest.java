package io.cachepipe.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.kafka.KafkaClients;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class DebeziumPropertiesTest {

  private static final Map<String, String> BASE =
      Map.of(
          "cachepipe.postgres.url",
              "jdbc:postgresql://db.example.com:6543/shop?sslmode=verify-full",
          "cachepipe.postgres.user", "capture",
          "cachepipe.postgres.password", "s3cret",
          "kafka.bootstrap.servers", "kafka-1:9092,kafka-2:9092",
          "cachepipe.cdc.name", "shop-capture",
          "cachepipe.cdc.slot.name", "shop_slot",
          "cachepipe.cdc.publication.name", "shop_pub",
          "cachepipe.cdc.offsets.topic", "shop.offsets",
          "cachepipe.topic.replication.factor", "3");

  private static final List<String> TABLES = List.of("public.posts", "public.users");

  @Test
  void latencyIsLowByDefaultNotDebeziumsHalfSecondPoll() {
    Properties p = build(Map.of());

    assertThat(p.getProperty("poll.interval.ms")).isEqualTo("5");
    assertThat(Long.parseLong(p.getProperty("poll.interval.ms"))).isLessThan(500);
  }

  @Test
  void eachEngineOfAProcessHasJmxNamesOfItsOwn() {
    String first = build(Map.of()).getProperty("custom.metric.tags");
    String second = build(Map.of()).getProperty("custom.metric.tags");

    assertThat(first).startsWith("slot=shop_slot,engine=");
    assertThat(second).startsWith("slot=shop_slot,engine=").isNotEqualTo(first);
  }

  @Test
  void heartbeatsEmitAMessageThroughTheSlotUnlessTheyAreOffOrReplaced() {
    assertThat(build(Map.of()).getProperty("heartbeat.action.query"))
        .isEqualTo("SELECT pg_logical_emit_message(false, 'cachepipe', 'heartbeat')");
    assertThat(build(Map.of("cachepipe.cdc.heartbeat.interval.ms", "0")))
        .doesNotContainKey("heartbeat.action.query");
    assertThat(
            build(Map.of("debezium.source.heartbeat.action.query", "UPDATE hb SET at = now()"))
                .getProperty("heartbeat.action.query"))
        .isEqualTo("UPDATE hb SET at = now()");
  }

  @Test
  void afterTheSlotWasRecreatedStaleOffsetsGiveWayToTheSlotWithoutASnapshotOfData() {
    Properties p = build(Map.of());
    DebeziumProperties.resumeAtRecreatedSlot(p);

    assertThat(p.getProperty("snapshot.mode")).isEqualTo("configuration_based");
    assertThat(p.getProperty("snapshot.mode.configuration.based.snapshot.data")).isEqualTo("false");
    assertThat(p.getProperty("snapshot.mode.configuration.based.start.stream")).isEqualTo("true");
    assertThat(p.getProperty("snapshot.mode.configuration.based.snapshot.on.data.error"))
        .isEqualTo("true");

    Properties own = build(Map.of("debezium.source.snapshot.mode", "initial"));
    DebeziumProperties.resumeAtRecreatedSlot(own);
    assertThat(own.getProperty("snapshot.mode")).isEqualTo("initial");
    assertThat(own).doesNotContainKey("snapshot.mode.configuration.based.snapshot.on.data.error");
  }

  @Test
  void offsetsAreKeptInKafkaUnderTheEnginesName() {
    Properties p = build(Map.of());

    assertThat(p.getProperty("name")).isEqualTo("shop-capture");
    assertThat(p.getProperty("offset.storage")).isEqualTo(KafkaOffsetStore.class.getName());
    assertThat(p.getProperty("offset.storage.topic")).isEqualTo("shop.offsets");
    assertThat(p.getProperty("offset.storage.replication.factor")).isEqualTo("3");
    assertThat(p.getProperty("bootstrap.servers")).isEqualTo("kafka-1:9092,kafka-2:9092");
  }

  @Test
  void theConnectorReadsPgoutputThroughTheConfiguredSlotAndPublicationFromNowOn() {
    Properties p = build(Map.of());

    assertThat(p.getProperty("connector.class"))
        .isEqualTo("io.debezium.connector.postgresql.PostgresConnector");
    assertThat(p.getProperty("plugin.name")).isEqualTo("pgoutput");
    assertThat(p.getProperty("slot.name")).isEqualTo("shop_slot");
    assertThat(p.getProperty("publication.name")).isEqualTo("shop_pub");
    assertThat(p.getProperty("publication.autocreate.mode")).isEqualTo("disabled");
    assertThat(p.getProperty("snapshot.mode")).isEqualTo("no_data");
    assertThat(p.getProperty("tombstones.on.delete")).isEqualTo("false");
  }

  @Test
  void theDatabaseLocationComesFromTheJdbcUrl() {
    Properties p = build(Map.of());

    assertThat(p.getProperty("database.hostname")).isEqualTo("db.example.com");
    assertThat(p.getProperty("database.port")).isEqualTo("6543");
    assertThat(p.getProperty("database.dbname")).isEqualTo("shop");
    assertThat(p.getProperty("database.user")).isEqualTo("capture");
    assertThat(p.getProperty("database.password")).isEqualTo("s3cret");
    assertThat(p.getProperty("database.sslmode")).isEqualTo("verify-full");
  }

  @Test
  void theTableIncludeListEscapesTheDotsOfQualifiedNames() {
    Properties p = build(Map.of());

    assertThat(p.getProperty("table.include.list")).isEqualTo("public\\.posts,public\\.users");
    // A regular expression: the escaped dot matches only itself.
    assertThat("public.posts").matches(p.getProperty("table.include.list").split(",")[0]);
    assertThat("publicXposts").doesNotMatch(p.getProperty("table.include.list").split(",")[0]);
  }

  @Test
  void debeziumSourcePropertiesPassThroughAndWinOverDerivedValues() {
    Properties p =
        build(
            Map.of(
                "debezium.source.poll.interval.ms", "50",
                "debezium.source.snapshot.mode", "initial",
                "debezium.source.max.batch.size", "4096"));

    assertThat(p.getProperty("poll.interval.ms")).isEqualTo("50");
    assertThat(p.getProperty("snapshot.mode")).isEqualTo("initial");
    assertThat(p.getProperty("max.batch.size")).isEqualTo("4096");
    assertThat(p.stringPropertyNames()).noneMatch(k -> k.startsWith("debezium.source."));
  }

  @Test
  void theUrlsTlsParametersReachTheReplicationConnection() {
    Properties p =
        build(
            Map.of(
                "cachepipe.postgres.url",
                "jdbc:postgresql://db:5432/shop?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem"
                    + "&sslcert=/etc/client.pem&sslkey=/etc/client.pk8&sslpassword=k3y"));

    assertThat(p.getProperty("database.sslmode")).isEqualTo("verify-full");
    assertThat(p.getProperty("database.sslrootcert")).isEqualTo("/etc/ca.pem");
    assertThat(p.getProperty("database.sslcert")).isEqualTo("/etc/client.pem");
    assertThat(p.getProperty("database.sslkey")).isEqualTo("/etc/client.pk8");
    assertThat(p.getProperty("database.sslpassword")).isEqualTo("k3y");
  }

  @Test
  void aPasswordInTheUrlIsUsedWhenTheKeyIsEmpty() {
    Properties p =
        build(
            Map.of(
                "cachepipe.postgres.password", "",
                "cachepipe.postgres.url", "jdbc:postgresql://db/shop?password=p%40ss"));

    assertThat(p.getProperty("database.password")).isEqualTo("p@ss");
  }

  @Test
  void kafkaSecurityKeysReachTheOffsetStoresClients() {
    Properties p =
        build(
            Map.of(
                "kafka.security.protocol", "SASL_SSL",
                "kafka.sasl.mechanism", "SCRAM-SHA-512",
                "kafka.ssl.truststore.location", "/etc/kafka/truststore.jks",
                "kafka.streams.num.stream.threads", "2"));

    assertThat(p.getProperty("security.protocol")).isEqualTo("SASL_SSL");
    assertThat(p.getProperty("sasl.mechanism")).isEqualTo("SCRAM-SHA-512");
    assertThat(p.getProperty("ssl.truststore.location")).isEqualTo("/etc/kafka/truststore.jks");
    assertThat(p.stringPropertyNames()).doesNotContain("num.stream.threads");
  }

  @Test
  void cachepipesOwnPollIntervalSettingIsApplied() {
    Properties p = build(Map.of("cachepipe.cdc.poll.interval.ms", "10"));

    assertThat(p.getProperty("poll.interval.ms")).isEqualTo("10");
  }

  private static Properties build(Map<String, String> extra) {
    Map<String, String> values = new HashMap<>(BASE);
    values.putAll(extra);
    Settings settings = Settings.of(values);
    return DebeziumProperties.build(
        CdcConfig.from(settings),
        Connections.from(settings),
        Topics.from(settings),
        TABLES,
        KafkaClients.shared(settings));
  }
}
