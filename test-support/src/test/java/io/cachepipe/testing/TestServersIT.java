package io.cachepipe.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.servers.RespConnection;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class TestServersIT {

  @Test
  void postgresIsSetUpForLogicalReplicationAndGivesEachCallerItsOwnMigratedDatabase()
      throws Exception {
    PostgresFixture postgres = TestServers.postgres();
    PostgresFixture.Database first = postgres.createDatabase("test_servers_it");
    PostgresFixture.Database second = postgres.createDatabase("test_servers_it");
    PostgresFixture.Database empty = postgres.createEmptyDatabase("Test-Servers IT");

    assertThat(first.name()).startsWith("test_servers_it_").isNotEqualTo(second.name());
    assertThat(empty.name()).matches("[a-z][a-z0-9_]*");
    assertThat(first.jdbcUrl()).endsWith("/" + first.name());
    try (Connection connection =
            DriverManager.getConnection(first.jdbcUrl(), first.user(), first.password());
        Statement statement = connection.createStatement()) {
      assertThat(single(statement, "SHOW wal_level")).isEqualTo("logical");
      statement.execute("CREATE EXTENSION pg_stat_statements");
      assertThat(single(statement, "SELECT count(*) >= 0 FROM pg_stat_statements")).isEqualTo("t");
      assertThat(single(statement, "SELECT count(*) FROM users")).isEqualTo("0");
      assertThat(single(statement, "SELECT count(*) FROM posts")).isEqualTo("0");
    }
    try (Connection connection =
            DriverManager.getConnection(empty.jdbcUrl(), empty.user(), empty.password());
        Statement statement = connection.createStatement()) {
      assertThat(single(statement, "SELECT to_regclass('public.users') IS NULL")).isEqualTo("t");
    }
  }

  @Test
  void kafkaTakesAProduceAndAConsumeOfOneRecord() throws Exception {
    KafkaFixture kafka = TestServers.kafka();
    String topic = kafka.uniqueTopicPrefix("test-servers-it") + ".evictions";
    assertThat(kafka.uniqueTopicPrefix("test-servers-it")).isNotEqualTo(topic);

    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
            new StringSerializer(),
            new StringSerializer())) {
      producer.send(new ProducerRecord<>(topic, "user:42", "evict")).get(30, TimeUnit.SECONDS);
    }
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG,
                topic + "-group",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new StringDeserializer(),
            new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      List<ConsumerRecord<String, String>> received = new ArrayList<>();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(received::add);
                return !received.isEmpty();
              });
      assertThat(received)
          .singleElement()
          .satisfies(
              record -> {
                assertThat(record.key()).isEqualTo("user:42");
                assertThat(record.value()).isEqualTo("evict");
              });
    }
  }

  @Test
  void redisAnswersPingAndSetGetAndFlushAllEmptiesIt() throws Exception {
    RedisFixture redis = TestServers.redis();
    assertThat(redis.uri()).isEqualTo("redis://" + redis.host() + ":" + redis.port());
    try (RespConnection connection =
        RespConnection.open(redis.host(), redis.port(), Duration.ofSeconds(5))) {
      assertThat(connection.call("PING")).isEqualTo("PONG");
      assertThat(connection.call("SET", "user:42", "cached")).isEqualTo("OK");
      assertThat(connection.call("GET", "user:42")).isEqualTo("cached");

      redis.flushAll();

      assertThat(connection.call("GET", "user:42")).isNull();
      assertThat(connection.call("DBSIZE")).isEqualTo("0");
    }
  }

  @Test
  void theSameServersAreSharedByEveryCaller() {
    assertThat(TestServers.redis()).isSameAs(TestServers.redis());
    assertThat(TestServers.backend()).isEqualTo(TestServers.backend());
  }

  private static String single(Statement statement, String sql) throws Exception {
    try (ResultSet rows = statement.executeQuery(sql)) {
      assertThat(rows.next()).as(sql).isTrue();
      return rows.getString(1);
    }
  }
}
