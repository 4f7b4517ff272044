package io.cachepipe.invalidator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.EvictionReport;
import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.change.Op;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.servers.LocalRedis;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
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

/**
 * The eviction step while its Redis is down for longer than the consumer's {@code
 * max.poll.interval.ms}: it must keep its partitions (polling while it retries), say what holds it
 * up, and apply every invalidation once Redis is back, by itself.
 */
class EvictionOutageIT {

  private static final Duration MAX_POLL_INTERVAL = Duration.ofSeconds(10);
  private static final Duration WAIT = Duration.ofSeconds(60);

  private LocalRedis redisServer;
  private Topics topics;
  private String group;
  private Invalidator invalidator;
  private final CompletableFuture<Throwable> failure = new CompletableFuture<>();

  @BeforeEach
  void start() throws Exception {
    redisServer = LocalRedis.start();
    String prefix = TestServers.kafka().uniqueTopicPrefix("outage");
    Settings settings =
        Settings.of(
            Map.ofEntries(
                Map.entry("kafka.bootstrap.servers", TestServers.kafka().bootstrapServers()),
                Map.entry("cachepipe.redis.uri", redisServer.uri()),
                Map.entry("cachepipe.topic.changes", prefix + "changes"),
                Map.entry("cachepipe.topic.invalidations", prefix + "invalidations"),
                Map.entry("cachepipe.topic.evictions", prefix + "evictions"),
                Map.entry("cachepipe.topic.dead.letter", prefix + "dead-letter"),
                Map.entry("cachepipe.invalidator.application.id", prefix + "invalidator"),
                Map.entry(
                    "cachepipe.invalidator.state.dir",
                    Files.createTempDirectory("outage-it").toString()),
                Map.entry("cachepipe.invalidator.redis.max.backoff.ms", "500"),
                Map.entry(
                    "kafka.eviction.consumer.max.poll.interval.ms",
                    Long.toString(MAX_POLL_INTERVAL.toMillis()))));
    topics = Topics.from(settings);
    group = Invalidator.evictionGroup(InvalidatorConfig.from(settings));
    invalidator = Invalidator.start(settings, failure::complete);
    await().atMost(WAIT).until(invalidator::evictionStepAssigned);
  }

  @AfterEach
  void stop() {
    invalidator.close();
    redisServer.close();
  }

  @Test
  void redisDownLongerThanThePollIntervalLosesNothingAndTheStepResumesByItself() throws Exception {
    sendInvalidation("user:1", 100);
    Set<String> reported = new HashSet<>();
    try (KafkaConsumer<byte[], byte[]> reports = reportReader()) {
      await().atMost(WAIT).until(() -> readReports(reports, reported).contains("user:1"));

      redisServer.stopServer();
      for (int i = 2; i <= 6; i++) {
        sendInvalidation("user:" + i, 100 + i);
      }
      Instant down = Instant.now();
      await("Redis down for longer than max.poll.interval.ms")
          .atMost(WAIT)
          .until(
              () -> {
                assertThat(failure).as("the stage never fails").isNotDone();
                return Duration.between(down, Instant.now())
                        .compareTo(MAX_POLL_INTERVAL.multipliedBy(3).dividedBy(2))
                    > 0;
              });
      assertThat(groupMembers())
          .as("the step kept polling, so it is still in its group")
          .isEqualTo(1);
      assertThat(invalidator.trouble()).startsWith("retrying Redis for ");
      assertThat(readReports(reports, reported)).doesNotContain("user:2");

      redisServer.restart();
      await("every invalidation sent while Redis was down is applied")
          .atMost(WAIT)
          .until(
              () ->
                  readReports(reports, reported)
                      .containsAll(List.of("user:2", "user:3", "user:4", "user:5", "user:6")));
      await().atMost(WAIT).until(() -> invalidator.trouble() == null);

      // and the step goes on with what comes after
      try (RedisClient client = RedisClient.create(redisServer.uri());
          StatefulRedisConnection<String, String> connection = client.connect()) {
        connection.sync().set("cp:user:7", "{}");
        connection.sync().zadd(CacheKeys.tagRegistry("user:7"), Long.MAX_VALUE, "cp:user:7");
        sendInvalidation("user:7", 200);
        await().atMost(WAIT).until(() -> connection.sync().exists("cp:user:7") == 0);
      }
    }
    assertThat(failure).as("no failure reported").isNotDone();
  }

  private int groupMembers() throws Exception {
    try (Admin admin =
        Admin.create(Map.of("bootstrap.servers", TestServers.kafka().bootstrapServers()))) {
      return admin
          .describeConsumerGroups(List.of(group))
          .describedGroups()
          .get(group)
          .get()
          .members()
          .size();
    }
  }

  private void sendInvalidation(String tag, long lsn) {
    ChangeEvent change =
        ChangeEvent.of(
            Op.UPDATE,
            "public.users",
            Map.of("id", 1),
            Map.of("id", 1, "name", "a"),
            Map.of("id", 1, "name", "b"),
            lsn,
            System.currentTimeMillis() * 1000,
            1);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestServers.kafka().bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
      producer.send(
          new ProducerRecord<>(
              topics.invalidations(),
              tag,
              Invalidation.CONTRACT.encode(Invalidation.of(tag, change))));
    }
  }

  private KafkaConsumer<byte[], byte[]> reportReader() {
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
    consumer.subscribe(List.of(topics.evictions()));
    return consumer;
  }

  /** Adds the tags of the reports read now to {@code reported}; returns it. */
  private static Set<String> readReports(
      KafkaConsumer<byte[], byte[]> consumer, Set<String> reported) {
    for (var record : consumer.poll(Duration.ofMillis(200))) {
      reported.add(EvictionReport.CONTRACT.decode(record.value()).tag());
    }
    return reported;
  }
}
