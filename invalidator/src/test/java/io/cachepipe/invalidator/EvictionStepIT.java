package io.cachepipe.invalidator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.EvictionReport;
import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.change.Op;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.kafka.DeadLetters;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The invalidator stage on real Kafka and Redis: invalidations in, evictions and reports out. */
class EvictionStepIT {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private Settings settings;
  private Topics topics;
  private Invalidator invalidator;
  private final CompletableFuture<Throwable> failure = new CompletableFuture<>();
  private RedisClient redisClient;
  private StatefulRedisConnection<String, String> connection;
  private RedisCommands<String, String> redis;

  @BeforeEach
  void start() throws Exception {
    String prefix = TestServers.kafka().uniqueTopicPrefix("eviction");
    settings =
        Settings.of(
            Map.of(
                "kafka.bootstrap.servers", TestServers.kafka().bootstrapServers(),
                "cachepipe.redis.uri", TestServers.redis().uri(),
                "cachepipe.topic.changes", prefix + "changes",
                "cachepipe.topic.invalidations", prefix + "invalidations",
                "cachepipe.topic.evictions", prefix + "evictions",
                "cachepipe.topic.dead.letter", prefix + "dead-letter",
                "cachepipe.invalidator.application.id", prefix + "invalidator",
                "cachepipe.invalidator.state.dir",
                    Files.createTempDirectory("eviction-it").toString()));
    topics = Topics.from(settings);
    redisClient = RedisClient.create(TestServers.redis().uri());
    connection = redisClient.connect();
    redis = connection.sync();
    invalidator = Invalidator.start(settings, failure::complete);
  }

  @AfterEach
  void stop() {
    invalidator.close();
    connection.close();
    redisClient.shutdown();
    assertThat(failure).as("no failure reported").isNotDone();
  }

  @Test
  void rowChangeEvictsItsTagsAndReportsTheLiveKeys() {
    cache("cp:post:7", "post:7");
    cache("cp:user_stats:1", "user:1");

    send(topics.changes(), "k", ChangeEvent.CONTRACT.encode(postUpdate(7, 1, 100)));

    await().atMost(WAIT).until(() -> redis.exists("cp:post:7", "cp:user_stats:1") == 0);
    List<EvictionReport> reports = readReports(2);
    assertThat(reports)
        .extracting(EvictionReport::tag)
        .containsExactlyInAnyOrder("post:7", "user:1");
    assertThat(reports)
        .filteredOn(r -> r.tag().equals("user:1"))
        .singleElement()
        .satisfies(r -> assertThat(r.liveKeys()).containsExactly("cp:user_stats:1"));
    assertThat(invalidator.metrics().latency().total().getTotalCount()).isEqualTo(2);
  }

  @Test
  void unreadableInvalidationIsDeadLetteredAndTheStepGoesOn() {
    cache("cp:user:9", "user:9");
    send(topics.invalidations(), "user:9", "not json".getBytes(StandardCharsets.UTF_8));
    send(
        topics.invalidations(),
        "user:9",
        Invalidation.CONTRACT.encode(Invalidation.of("user:9", postUpdate(1, 9, 5))));

    await().atMost(WAIT).until(() -> redis.exists("cp:user:9") == 0);
    ConsumerRecord<byte[], byte[]> dead = readOne(topics.deadLetter());
    assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo("not json");
    assertThat(DeadLetters.header(dead.headers(), DeadLetters.REASON)).contains("not JSON");
    assertThat(DeadLetters.header(dead.headers(), DeadLetters.STAGE)).isEqualTo("invalidator");
    assertThat(invalidator.metrics().deadLettered()).isEqualTo(1);
  }

  @Test
  void appliedInvalidationsAreCommittedSoARestartDoesNotReplayThem() throws Exception {
    cache("cp:user:3", "user:3");
    send(
        topics.invalidations(),
        "user:3",
        Invalidation.CONTRACT.encode(Invalidation.of("user:3", postUpdate(2, 3, 5))));
    await().atMost(WAIT).until(() -> redis.exists("cp:user:3") == 0);

    String group = Invalidator.evictionGroup(InvalidatorConfig.from(settings));
    try (Admin admin =
        Admin.create(Map.of("bootstrap.servers", TestServers.kafka().bootstrapServers()))) {
      await("the eviction step commits what it applied")
          .atMost(WAIT)
          .until(
              () ->
                  admin
                          .listConsumerGroupOffsets(group)
                          .partitionsToOffsetAndMetadata()
                          .get()
                          .values()
                          .stream()
                          .mapToLong(o -> o.offset())
                          .sum()
                      == 1);
    }
  }

  private static ChangeEvent postUpdate(long post, long author, long lsn) {
    return ChangeEvent.of(
        Op.UPDATE,
        "public.posts",
        Map.of("id", post),
        Map.of("id", post, "author_id", author, "view_count", 1),
        Map.of("id", post, "author_id", author, "view_count", 2),
        lsn,
        System.currentTimeMillis() * 1000,
        1);
  }

  private void cache(String key, String tag) {
    redis.set(key, "{}");
    redis.sadd(CacheKeys.tagRegistry(tag), key);
  }

  private void send(String topic, String key, byte[] value) {
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestServers.kafka().bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
      producer.send(new ProducerRecord<>(topic, key, value));
    }
  }

  private List<EvictionReport> readReports(int count) {
    List<EvictionReport> reports = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(topics.evictions())) {
      await()
          .atMost(WAIT)
          .until(
              () -> {
                consumer
                    .poll(Duration.ofMillis(200))
                    .forEach(r -> reports.add(EvictionReport.CONTRACT.decode(r.value())));
                return reports.size() >= count;
              });
    }
    return reports;
  }

  private ConsumerRecord<byte[], byte[]> readOne(String topic) {
    List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(topic)) {
      await()
          .atMost(WAIT)
          .until(
              () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return !records.isEmpty();
              });
    }
    return records.get(0);
  }

  private static KafkaConsumer<byte[], byte[]> consumer(String topic) {
    KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                TestServers.kafka().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG,
                "reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class));
    consumer.subscribe(List.of(topic));
    return consumer;
  }
}
