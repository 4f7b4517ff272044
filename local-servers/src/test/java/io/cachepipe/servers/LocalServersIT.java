package io.cachepipe.servers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

class LocalServersIT {

  private static final Logger LOG = LoggerFactory.getLogger(LocalServersIT.class);

  @Test
  void kafkaBrokerInAChildJvmTakesAProduceAndAConsumeAndDiesOnClose() throws Exception {
    LocalKafka kafka = timed("LocalKafka", LocalKafka::start);
    ProcessHandle broker = kafka.process();
    Path directory = brokerDirectory(broker);
    try {
      assertThat(broker.parent().map(ProcessHandle::pid)).contains(ProcessHandle.current().pid());
      String topic = "local-servers-it";
      try (KafkaProducer<String, String> producer = producer(kafka.bootstrapServers())) {
        producer.send(new ProducerRecord<>(topic, "user:42", "evict")).get(30, TimeUnit.SECONDS);
      }
      try (KafkaConsumer<String, String> consumer = consumer(kafka.bootstrapServers())) {
        TopicPartition partition = new TopicPartition(topic, 0);
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
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
                r -> {
                  assertThat(r.key()).isEqualTo("user:42");
                  assertThat(r.value()).isEqualTo("evict");
                });
      }
    } finally {
      kafka.close();
    }
    assertThat(broker.isAlive()).isFalse();
    assertThat(directory).doesNotExist();
    assertThat(ChildProcesses.running()).noneMatch(c -> c.pid() == broker.pid());
  }

  @Test
  void redisAnswersPingAndSetGetAndDiesOnClose() throws Exception {
    LocalRedis redis = timed("LocalRedis", LocalRedis::start);
    ProcessHandle server = redis.process();
    try (RespConnection connection =
        RespConnection.open(redis.host(), redis.port(), Duration.ofSeconds(5))) {
      assertThat(redis.uri()).isEqualTo("redis://127.0.0.1:" + redis.port());
      assertThat(connection.call("PING")).isEqualTo("PONG");
      assertThat(connection.call("SET", "user:42", "cached")).isEqualTo("OK");
      assertThat(connection.call("GET", "user:42")).isEqualTo("cached");
      assertThat(connection.call("INFO", "persistence")).contains("aof_enabled:0");
    } finally {
      redis.close();
    }
    assertThat(server.isAlive()).isFalse();
  }

  @Test
  void redisClusterOfThreeMastersServesEverySlotAndDiesOnClose() throws Exception {
    LocalRedisCluster cluster = timed("LocalRedisCluster", LocalRedisCluster::start);
    List<ProcessHandle> servers = cluster.masters().stream().map(LocalRedis::process).toList();
    try {
      assertThat(cluster.uris()).hasSize(3).doesNotHaveDuplicates();
      for (LocalRedis master : cluster.masters()) {
        try (RespConnection connection =
            RespConnection.open(master.host(), master.port(), Duration.ofSeconds(5))) {
          String info = connection.call("CLUSTER", "INFO");
          assertThat(info)
              .contains(
                  "cluster_state:ok", "cluster_slots_assigned:16384", "cluster_known_nodes:3");
        }
      }
      // The master owning the key's slot serves it, another one redirects.
      int slot;
      try (RespConnection any = open(cluster.masters().get(0))) {
        slot = Integer.parseInt(any.call("CLUSTER", "KEYSLOT", "user:42"));
      }
      int owner = slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2;
      try (RespConnection serving = open(cluster.masters().get(owner));
          RespConnection other = open(cluster.masters().get((owner + 1) % 3))) {
        assertThat(serving.call("SET", "user:42", "cached")).isEqualTo("OK");
        assertThatThrownBy(() -> other.call("GET", "user:42"))
            .isInstanceOf(LocalServerException.class)
            .hasMessageContaining("MOVED " + slot);
      }
    } finally {
      cluster.close();
    }
    assertThat(servers).noneMatch(ProcessHandle::isAlive);
  }

  private static RespConnection open(LocalRedis redis) throws Exception {
    return RespConnection.open(redis.host(), redis.port(), Duration.ofSeconds(5));
  }

  @Test
  void redisWithAPasswordRefusesClientsThatDoNotAuthenticate() throws Exception {
    try (LocalRedis redis = LocalRedis.builder().requirePass("s3cret").start();
        RespConnection connection =
            RespConnection.open(redis.host(), redis.port(), Duration.ofSeconds(5))) {
      assertThat(redis.password()).contains("s3cret");
      assertThatThrownBy(() -> connection.call("GET", "user:42"))
          .isInstanceOf(LocalServerException.class)
          .hasMessageContaining("NOAUTH");
      assertThat(connection.call("AUTH", "s3cret")).isEqualTo("OK");
      assertThat(connection.call("GET", "user:42")).isNull();
    }
  }

  @Test
  void postgresIsReadyForLogicalReplicationAndDiesWithItsBackendsOnClose() throws Exception {
    LocalPostgres postgres = timed("LocalPostgres", LocalPostgres::start);
    ProcessHandle postmaster = postgres.process();
    List<ProcessHandle> tree = new ArrayList<>();
    try {
      String url = postgres.createDatabase("local_servers_it");
      assertThat(url).isEqualTo(postgres.jdbcUrl("local_servers_it"));
      try (Connection connection =
              DriverManager.getConnection(url, postgres.user(), postgres.password());
          Statement statement = connection.createStatement()) {
        assertThat(single(statement, "SHOW wal_level")).isEqualTo("logical");
        assertThat(single(statement, "SHOW max_replication_slots")).isEqualTo("32");
        assertThat(single(statement, "SHOW fsync")).isEqualTo("off");
        statement.execute("CREATE EXTENSION pg_stat_statements");
        assertThat(single(statement, "SELECT count(*) >= 0 FROM pg_stat_statements"))
            .isEqualTo("t");
        statement.execute("CREATE TABLE users (id bigint PRIMARY KEY, name text)");
        statement.execute("CREATE PUBLICATION it_publication FOR TABLE users");
        assertThat(
                single(
                    statement,
                    "SELECT slot_name FROM pg_create_logical_replication_slot('it_slot',"
                        + " 'pgoutput')"))
            .isEqualTo("it_slot");
        statement.execute("SELECT pg_drop_replication_slot('it_slot')");
        postmaster.descendants().forEach(tree::add);
      }
    } finally {
      postgres.close();
    }
    tree.add(postmaster);
    assertThat(tree).hasSizeGreaterThan(1).noneMatch(ProcessHandle::isAlive);
  }

  @Test
  void redisRestartsEmptyOnTheSamePort() throws Exception {
    try (LocalRedis redis = LocalRedis.start()) {
      call(redis, "SET", "user:42", "cached");
      ProcessHandle first = redis.process();

      redis.stopServer();
      assertThat(first.isAlive()).isFalse();
      assertThat(redis.isRunning()).isFalse();
      assertThatThrownBy(() -> call(redis, "PING")).isInstanceOf(java.io.IOException.class);

      redis.restart();
      assertThat(redis.isRunning()).isTrue();
      assertThat(redis.process().pid()).isNotEqualTo(first.pid());
      assertThat(call(redis, "PING")).isEqualTo("PONG");
      assertThat(call(redis, "GET", "user:42")).as("persistence is off").isNull();
    }
  }

  @Test
  void kafkaRestartsOnTheSamePortWithItsRecords() throws Exception {
    LocalKafka kafka = LocalKafka.start();
    Path directory = brokerDirectory(kafka.process());
    String topic = "local-servers-restart";
    TopicPartition partition = new TopicPartition(topic, 0);
    try {
      try (KafkaProducer<String, String> producer = producer(kafka.bootstrapServers())) {
        producer.send(new ProducerRecord<>(topic, "user:42", "before")).get(30, TimeUnit.SECONDS);
      }
      ProcessHandle first = kafka.process();

      kafka.stopBroker();
      assertThat(first.isAlive()).isFalse();
      assertThat(directory).exists();

      kafka.restart();
      assertThat(kafka.process().pid()).isNotEqualTo(first.pid());
      try (KafkaConsumer<String, String> consumer = consumer(kafka.bootstrapServers())) {
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        List<String> values = new ArrayList<>();
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () -> {
                  consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
                  return !values.isEmpty();
                });
        assertThat(values).containsExactly("before");
      }
    } finally {
      kafka.close();
    }
    assertThat(directory).doesNotExist();
  }

  @Test
  void postgresRestartsOnTheSamePortWithItsDataAndSettings() throws Exception {
    try (LocalPostgres postgres = LocalPostgres.start()) {
      String url = postgres.createDatabase("restart_it");
      try (Connection connection =
              DriverManager.getConnection(url, postgres.user(), postgres.password());
          Statement statement = connection.createStatement()) {
        statement.execute("CREATE TABLE kept (id int PRIMARY KEY)");
        statement.execute("INSERT INTO kept VALUES (42)");
      }
      ProcessHandle first = postgres.process();

      postgres.stopServer();
      assertThat(first.isAlive()).isFalse();
      assertThat(postgres.isRunning()).isFalse();

      postgres.restart();
      assertThat(postgres.isRunning()).isTrue();
      assertThat(postgres.process().pid()).isNotEqualTo(first.pid());
      try (Connection connection =
              DriverManager.getConnection(url, postgres.user(), postgres.password());
          Statement statement = connection.createStatement()) {
        assertThat(single(statement, "SELECT id FROM kept")).isEqualTo("42");
        assertThat(single(statement, "SHOW wal_level")).isEqualTo("logical");
      }
    }
  }

  @Test
  void theShutdownHookStopsEveryServerStillRunning() {
    // What the hook runs, without ending this JVM.
    LocalRedis redis = LocalRedis.start();
    ChildProcesses.stopAll();
    assertThat(redis.process().isAlive()).isFalse();
    assertThat(ChildProcesses.running()).isEmpty();
  }

  private static Path brokerDirectory(ProcessHandle broker) {
    String commandLine = broker.info().commandLine().orElseThrow();
    Path argumentFile = Path.of(commandLine.substring(commandLine.indexOf('@') + 1).trim());
    assertThat(argumentFile).exists();
    return argumentFile.getParent();
  }

  private static String call(LocalRedis redis, String... command) throws Exception {
    try (RespConnection connection =
        RespConnection.open(redis.host(), redis.port(), Duration.ofSeconds(5))) {
      return connection.call(command);
    }
  }

  private static String single(Statement statement, String sql) throws Exception {
    try (ResultSet rows = statement.executeQuery(sql)) {
      assertThat(rows.next()).as(sql).isTrue();
      return rows.getString(1);
    }
  }

  private static <T> T timed(String what, Supplier<T> start) {
    long begin = System.nanoTime();
    T server = start.get();
    LOG.info("{} started in {} ms", what, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin));
    return server;
  }

  private static KafkaProducer<String, String> producer(String bootstrapServers) {
    return new KafkaProducer<>(
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers),
        new StringSerializer(),
        new StringSerializer());
  }

  private static KafkaConsumer<String, String> consumer(String bootstrapServers) {
    return new KafkaConsumer<>(
        Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers),
        new StringDeserializer(),
        new StringDeserializer());
  }
}
