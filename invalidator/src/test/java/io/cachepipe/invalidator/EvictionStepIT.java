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
import io.cachepipe.testing.GroupOffsets;
import io.cachepipe.testing.TestServers;
import io.cachepipe.testing.TopicRecords;
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
import java.util.concurrent.ExecutionException;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.RecordTooLargeException;
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
    List<EvictionReport> reports =
        readReports(r -> r.tag().equals("post:7") || r.tag().equals("user:1"), 2);
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
  void aReplayedInvalidationIsReportedSkippedAndDeletesNothingFilledSince() {
    byte[] invalidation =
        Invalidation.CONTRACT.encode(Invalidation.of("user:5", postUpdate(3, 5, 700)));
    cache("cp:user_stats:5", "user:5");
    send(topics.invalidations(), "user:5", invalidation);
    await().atMost(WAIT).until(() -> redis.exists("cp:user_stats:5") == 0);
    cache("cp:user_stats:5", "user:5"); // filled again after the eviction

    send(topics.invalidations(), "user:5", invalidation); // the same change, as after a crash

    List<EvictionReport> reports = readReports(r -> r.tag().equals("user:5"), 2);
    assertThat(reports).extracting(EvictionReport::skipped).containsExactly(false, true);
    assertThat(reports.get(0).liveKeys()).containsExactly("cp:user_stats:5");
    assertThat(reports.get(1).commitLsn()).isEqualTo(700);
    assertThat(redis.exists("cp:user_stats:5")).as("the entry filled since").isOne();
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
  void aTagWhoseRegistryHasTheWrongTypeIsDeadLetteredAndTheTagsAfterItAreEvicted() {
    String badTag = "user:13";
    redis.set(CacheKeys.tagRegistry(badTag), "a string, not a sorted set");

    refusedTagIsDeadLetteredAndTheStepGoesOn(badTag, "user:14");
  }

  @Test
  void aTagWhoseDrainSetHasTheWrongTypeIsDeadLetteredAndTheTagsAfterItAreEvicted() {
    // Refused on every attempt: before, the step retried it forever and evicted nothing after it.
    String badTag = "user:15";
    redis.hset(CacheKeys.tagDrains(badTag), "field", "a hash, not a set");

    refusedTagIsDeadLetteredAndTheStepGoesOn(badTag, "user:16");
  }

  private void refusedTagIsDeadLetteredAndTheStepGoesOn(String badTag, String goodTag) {
    String goodKey = "cp:" + goodTag;
    cache(goodKey, goodTag);
    byte[] refused = Invalidation.CONTRACT.encode(Invalidation.of(badTag, postUpdate(1, 13, 800)));
    send(topics.invalidations(), badTag, refused);
    send(
        topics.invalidations(),
        goodTag,
        Invalidation.CONTRACT.encode(Invalidation.of(goodTag, postUpdate(2, 14, 801))));

    await().atMost(WAIT).until(() -> redis.exists(goodKey) == 0);
    ConsumerRecord<byte[], byte[]> dead = readOne(topics.deadLetter());
    assertThat(dead.value()).isEqualTo(refused);
    assertThat(DeadLetters.header(dead.headers(), DeadLetters.REASON))
        .contains(badTag)
        .contains("WRONGTYPE");
    assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE))
        .startsWith(topics.invalidations() + "/");
    assertThat(invalidator.metrics().refusedByRedis()).isEqualTo(1);
  }

  @Test
  void aRunOfRefusalsMakesTheStepSaySoWhereOneRefusalDoesNot() {
    for (int i = 0; i < EvictionStep.TROUBLING_REFUSALS; i++) {
      String tag = "user:" + (40 + i);
      redis.set(CacheKeys.tagRegistry(tag), "a string, not a sorted set");
      send(
          topics.invalidations(),
          tag,
          Invalidation.CONTRACT.encode(Invalidation.of(tag, postUpdate(i + 1, 40 + i, 900 + i))));
      if (i == 0) {
        await().atMost(WAIT).until(() -> invalidator.metrics().refusedByRedis() == 1);
        assertThat(invalidator.trouble()).as("one refusal is its dead letter only").isNull();
      }
    }

    await()
        .atMost(WAIT)
        .until(() -> invalidator.metrics().refusedByRedis() == EvictionStep.TROUBLING_REFUSALS);
    assertThat(invalidator.trouble())
        .startsWith("Redis refused " + EvictionStep.TROUBLING_REFUSALS + " evictions")
        .contains("WRONGTYPE");
  }

  @Test
  void aReportKafkaRefusesIsSentAgainAndHoldsTheCommitUntilAcknowledged() throws Exception {
    cache("cp:user:30", "user:30");
    try (Admin admin = admin()) {
      topicMaxMessageBytes(admin, "16"); // every report is larger: the broker refuses it
      await("the broker applied the limit").atMost(WAIT).until(this::reportsAreRefused);
      send(
          topics.invalidations(),
          "user:30",
          Invalidation.CONTRACT.encode(Invalidation.of("user:30", postUpdate(4, 30, 900))));
      await().atMost(WAIT).until(() -> redis.exists("cp:user:30") == 0);
      await("the step says what holds it up")
          .atMost(WAIT)
          .until(() -> invalidator.trouble() != null);
      assertThat(invalidator.trouble())
          .startsWith("sending eviction reports and dead letters for ")
          .contains("RecordTooLarge");
      await("nothing is committed past the unsent report")
          .during(Duration.ofSeconds(2))
          .atMost(WAIT)
          .until(() -> committedOffsets(admin) == 0);

      topicMaxMessageBytes(admin, null);

      List<EvictionReport> reports = readReports(r -> r.tag().equals("user:30"), 1);
      assertThat(reports.get(0).liveKeys()).containsExactly("cp:user:30");
      await().atMost(WAIT).until(() -> committedOffsets(admin) == 1);
      assertThat(invalidator.trouble()).isNull();
    }
  }

  /** Whether the broker refuses a report now (brokers apply a topic's new config a bit later). */
  private boolean reportsAreRefused() throws Exception {
    EvictionReport probe =
        EvictionReport.of(Invalidation.of("probe", postUpdate(1, 1, 1)), List.of(), 0, false);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestServers.kafka().bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
      producer
          .send(
              new ProducerRecord<>(
                  topics.evictions(), "probe", EvictionReport.CONTRACT.encode(probe)))
          .get();
      return false;
    } catch (ExecutionException e) {
      return e.getCause() instanceof RecordTooLargeException;
    }
  }

  private static Admin admin() {
    return Admin.create(Map.of("bootstrap.servers", TestServers.kafka().bootstrapServers()));
  }

  private void topicMaxMessageBytes(Admin admin, String bytes) throws Exception {
    ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, topics.evictions());
    AlterConfigOp op =
        bytes == null
            ? new AlterConfigOp(
                new ConfigEntry("max.message.bytes", ""), AlterConfigOp.OpType.DELETE)
            : new AlterConfigOp(
                new ConfigEntry("max.message.bytes", bytes), AlterConfigOp.OpType.SET);
    admin.incrementalAlterConfigs(Map.of(topic, List.of(op))).all().get();
  }

  private long committedOffsets(Admin admin) throws Exception {
    String group = Invalidator.evictionGroup(InvalidatorConfig.from(settings));
    return GroupOffsets.committedSum(admin, group);
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
          .until(() -> GroupOffsets.committedSum(admin, group) == 1);
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
    redis.zadd(CacheKeys.tagRegistry(tag), System.currentTimeMillis() + 3_600_000, key);
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

  /** The first {@code count} reports that {@code wanted} accepts, in the order written. */
  private List<EvictionReport> readReports(Predicate<EvictionReport> wanted, int count) {
    List<EvictionReport> reports = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(topics.evictions())) {
      await()
          .atMost(WAIT)
          .until(
              () -> {
                for (var record : consumer.poll(Duration.ofMillis(200))) {
                  EvictionReport report = EvictionReport.CONTRACT.decode(record.value());
                  if (wanted.test(report)) {
                    reports.add(report);
                  }
                }
                return reports.size() >= count;
              });
    }
    return reports;
  }

  private ConsumerRecord<byte[], byte[]> readOne(String topic) {
    return TopicRecords.readUntil(
            TestServers.kafka().bootstrapServers(),
            topic,
            "a record in " + topic,
            read -> !read.isEmpty(),
            WAIT)
        .get(0);
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
