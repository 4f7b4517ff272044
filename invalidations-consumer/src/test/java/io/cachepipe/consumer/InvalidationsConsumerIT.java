package io.cachepipe.consumer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.change.Op;
import io.cachepipe.core.change.Watermark;
import io.cachepipe.core.kafka.DeadLetters;
import io.cachepipe.testing.TestServers;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The consumer library against a real Kafka broker. */
class InvalidationsConsumerIT {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private String bootstrap;
  private String topic;
  private String deadLetter;
  private KafkaProducer<byte[], byte[]> producer;
  private final ConcurrentLinkedQueue<Invalidation> seen = new ConcurrentLinkedQueue<>();

  @BeforeEach
  void topics() throws Exception {
    bootstrap = TestServers.kafka().bootstrapServers();
    String prefix = TestServers.kafka().uniqueTopicPrefix("consumer");
    topic = prefix + "invalidations";
    deadLetter = prefix + "dead-letter";
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      admin
          .createTopics(
              List.of(new NewTopic(topic, 2, (short) 1), new NewTopic(deadLetter, 1, (short) 1)))
          .all()
          .get();
    }
    producer =
        new KafkaProducer<>(
            Map.of("bootstrap.servers", bootstrap),
            new ByteArraySerializer(),
            new ByteArraySerializer());
  }

  @AfterEach
  void closeProducer() {
    producer.close();
  }

  @Test
  void everyInvalidationReachesTheListenerAndTheWatermarksSayHowFar() throws Exception {
    sendInvalidation(0, "user:1", 100);
    sendInvalidation(1, "post:7", 110);
    sendWatermarks(200);

    try (InvalidationsConsumer consumer = start("reader", seen::add)) {
      assertThat(consumer.awaitCaughtUp(200, WAIT)).isTrue();
      assertThat(seen)
          .extracting(Invalidation::tag, Invalidation::commitLsn)
          .containsExactlyInAnyOrder(
              org.assertj.core.groups.Tuple.tuple("user:1", 100L),
              org.assertj.core.groups.Tuple.tuple("post:7", 110L));
      assertThat(consumer.partitions()).hasSize(2);
      assertThat(consumer.oldestWatermarkMillis()).isPositive();
      assertThat(consumer.awaitCaughtUp(201, Duration.ofMillis(50))).isFalse();
    }
  }

  @Test
  void unreadableRecordsGoToTheDeadLetterTopicWithTheReasonAndTheRestFlows() throws Exception {
    producer.send(new ProducerRecord<>(topic, 0, "x".getBytes(UTF_8), "not json".getBytes(UTF_8)));
    sendInvalidation(0, "user:2", 300);

    try (InvalidationsConsumer consumer =
        InvalidationsConsumer.builder()
            .bootstrapServers(bootstrap)
            .groupId(topic + "-dl")
            .topic(topic)
            .deadLetterTopic(deadLetter)
            .listener(seen::add)
            .start()) {
      await().atMost(WAIT).until(() -> seen.size() == 1 && consumer.stats().deadLettered() == 1);
      assertThat(consumer.stats().skipped()).isZero();
    }
    ConsumerRecord<byte[], byte[]> letter = readOne(deadLetter);
    assertThat(new String(letter.value(), UTF_8)).isEqualTo("not json");
    Headers headers = letter.headers();
    assertThat(DeadLetters.header(headers, DeadLetters.REASON)).contains("not JSON");
    assertThat(DeadLetters.header(headers, DeadLetters.SOURCE)).isEqualTo(topic + "/0@0");
  }

  @Test
  void aDeadLetterThatCannotBeWrittenIsSkippedAndCounted() throws Exception {
    producer.send(new ProducerRecord<>(topic, 0, "x".getBytes(UTF_8), "{}".getBytes(UTF_8)));
    sendInvalidation(0, "user:3", 300);

    try (InvalidationsConsumer consumer =
        InvalidationsConsumer.builder()
            .bootstrapServers(bootstrap)
            .groupId(topic + "-no-rights")
            .topic(topic)
            // Kafka refuses the name: the write fails as one without write rights does.
            .deadLetterTopic("no such topic!")
            .listener(seen::add)
            .start()) {
      await().atMost(WAIT).until(() -> seen.size() == 1);
      assertThat(consumer.stats().skipped()).isEqualTo(1);
      assertThat(consumer.failure()).isEmpty();
    }
  }

  @Test
  void aListenerThatFailsStopsTheConsumerAndARestartDeliversTheRecordAgain() throws Exception {
    AtomicBoolean failOnce = new AtomicBoolean(true);
    InvalidationListener failing =
        invalidation -> {
          seen.add(invalidation);
          if (invalidation.tag().equals("user:5") && failOnce.getAndSet(false)) {
            throw new IllegalStateException("index unavailable");
          }
        };
    sendInvalidation(0, "user:5", 500);

    try (InvalidationsConsumer first = start("restart", failing)) {
      await().atMost(WAIT).until(() -> first.failure().isPresent());
      assertThat(first.failure().get()).hasMessage("index unavailable");
    }
    try (InvalidationsConsumer second = start("restart", failing)) {
      await()
          .atMost(WAIT)
          .until(() -> seen.stream().filter(i -> i.tag().equals("user:5")).count() == 2);
      assertThat(second.failure()).isEmpty();
    }
  }

  @Test
  void aCleanCloseCommitsWhatTheListenerFinished() throws Exception {
    sendInvalidation(0, "user:6", 600);
    try (InvalidationsConsumer first = start("close", seen::add)) {
      await().atMost(WAIT).until(() -> seen.size() == 1);
    }
    sendInvalidation(1, "user:7", 700);

    try (InvalidationsConsumer second = start("close", seen::add)) {
      await().atMost(WAIT).until(() -> seen.size() >= 2);
      assertThat(seen).extracting(Invalidation::tag).containsExactly("user:6", "user:7");
    }
  }

  @Test
  void aSecondConsumerOfTheGroupTakesAPartitionAndEachIsCaughtUpOnItsOwn() throws Exception {
    try (InvalidationsConsumer first = start("pair", seen::add)) {
      await().atMost(WAIT).until(() -> first.partitions().size() == 2);
      sendWatermarks(800);
      assertThat(first.awaitCaughtUp(800, WAIT)).isTrue();

      try (InvalidationsConsumer second = start("pair", seen::add)) {
        await()
            .atMost(WAIT)
            .until(() -> first.partitions().size() == 1 && second.partitions().size() == 1);
        sendWatermarks(900);

        assertThat(first.awaitCaughtUp(900, WAIT)).isTrue();
        assertThat(second.awaitCaughtUp(900, WAIT)).isTrue();
        assertThat(first.stats().rebalances()).isGreaterThanOrEqualTo(2);
      }
    }
  }

  private InvalidationsConsumer start(String group, InvalidationListener listener) {
    return InvalidationsConsumer.builder()
        .bootstrapServers(bootstrap)
        .groupId(topic + "-" + group)
        .topic(topic)
        .listener(listener)
        .start();
  }

  private void sendInvalidation(int partition, String tag, long commitLsn) throws Exception {
    Invalidation invalidation =
        new Invalidation(
            Invalidation.SCHEMA_VERSION,
            tag,
            "public.users",
            Op.UPDATE,
            commitLsn + 1,
            commitLsn,
            1,
            1);
    producer
        .send(new ProducerRecord<>(topic, partition, tag.getBytes(UTF_8), invalidation.encode()))
        .get();
  }

  private void sendWatermarks(long lsn) throws Exception {
    for (int partition = 0; partition < 2; partition++) {
      producer
          .send(
              new ProducerRecord<>(
                  topic,
                  partition,
                  null,
                  Watermark.KEY.getBytes(UTF_8),
                  Watermark.of(lsn, 0, 1).encode(),
                  Watermark.headers()))
          .get();
    }
  }

  private ConsumerRecord<byte[], byte[]> readOne(String from) {
    try (KafkaConsumer<byte[], byte[]> reader =
        new KafkaConsumer<>(
            Map.of(
                "bootstrap.servers",
                bootstrap,
                "group.id",
                from + "-check",
                "auto.offset.reset",
                "earliest"),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      reader.subscribe(List.of(from));
      ConcurrentLinkedQueue<ConsumerRecord<byte[], byte[]>> read = new ConcurrentLinkedQueue<>();
      await()
          .atMost(WAIT)
          .until(
              () -> {
                reader.poll(Duration.ofMillis(200)).forEach(read::add);
                return !read.isEmpty();
              });
      return read.peek();
    }
  }
}
