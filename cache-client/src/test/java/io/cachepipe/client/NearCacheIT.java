package io.cachepipe.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.change.Op;
import io.cachepipe.core.change.Watermark;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.redis.evict.RedisTagEvictor;
import io.cachepipe.redis.evict.TagEvictor;
import io.cachepipe.servers.LocalKafka;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The near cache against a real Kafka broker (a child process, so that it can be stopped) and a
 * real Redis. The pipeline is played by the test: a change bumps the source of truth, evicts its
 * tag in Redis with the eviction step's own evictor (the version bumped, the entry deleted, the
 * tag's position stored), advances the watermark, and writes the invalidation and a watermark to
 * the topic, as the invalidator does.
 */
class NearCacheIT {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Duration BOUND = Duration.ofSeconds(1);

  /** A tag of this test's own: the eviction step skips positions at or below a tag's last one. */
  private final String tag = "user:" + System.nanoTime();

  private static LocalKafka kafka;
  private static RedisClient redisClient;
  private static StatefulRedisConnection<String, String> redisConnection;
  private static RedisCommands<String, String> redis;
  private static StatefulRedisConnection<String, String> evictorConnection;
  private static TagEvictor evictor;

  private String topic;
  private KafkaProducer<byte[], byte[]> producer;
  private final AtomicLong truth = new AtomicLong(1);
  private final AtomicLong lsn = new AtomicLong(1_000);

  /** When each value of {@link #truth} was replaced, in nanoTime; index = the value replaced. */
  private final Map<Long, Long> replacedAt = new java.util.concurrent.ConcurrentHashMap<>();

  @BeforeAll
  static void servers() {
    kafka = LocalKafka.start();
    redisClient = RedisClient.create(TestServers.redis().uri());
    redisConnection = redisClient.connect();
    redis = redisConnection.sync();
    evictorConnection = redisClient.connect();
    evictor =
        new RedisTagEvictor(evictorConnection, Duration.ofMinutes(10), Duration.ofMillis(100));
  }

  @AfterAll
  static void stopServers() {
    if (redisConnection != null) {
      evictorConnection.close();
      redisConnection.close();
      redisClient.shutdown();
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void aHitIsServedFromTheTierUntilAnInvalidationOfItsTagIsApplied() throws Exception {
    try (Fixture f = new Fixture("hit", Duration.ofSeconds(30))) {
      String key = f.key;
      assertThat(read(f.client, key)).isEqualTo(1);
      redis.del(key); // from now on only the tier has it
      assertThat(read(f.client, key)).as("served from the tier").isEqualTo(1);
      assertThat(f.tier().stats().hits()).isEqualTo(1);

      change();

      await().atMost(WAIT).until(() -> f.tier().peek(key) == null);
      assertThat(read(f.client, key)).isEqualTo(2);
    }
  }

  @Test
  void aReadAfterAWriteTokenIsServedFromTheTierOnlyOnceTheTierAppliedPastIt() throws Exception {
    try (Fixture f = new Fixture("own-write", Duration.ofSeconds(30))) {
      assertThat(read(f.client, f.key)).isEqualTo(1);
      // A write whose evictions Redis has applied, but whose invalidation has not reached the
      // tier's consumer yet.
      long position = evictInRedisOnly();
      WriteToken token = new WriteToken(position);

      assertThat(read(f.client, f.key)).as("a plain read, within the bound").isEqualTo(1);
      assertThat(readAfter(f.client, f.key, token)).as("a read after the token").isEqualTo(2);

      send(invalidation(position));
      advance();
      await().atMost(WAIT).until(() -> f.tier().caughtUpPosition() >= position);
      assertThat(readAfter(f.client, f.key, token)).isEqualTo(2);
      assertThat(f.tier().peek(f.key)).as("the tier holds it again").isEqualTo("2");
    }
  }

  @Test
  void withoutAFreshWatermarkReadsBypassTheTier() throws Exception {
    try (Fixture f = new Fixture("bypass", BOUND)) {
      read(f.client, f.key);
      redis.del(f.key);

      await().atMost(WAIT).until(() -> !f.tier().isCurrent());

      truth.set(5); // not told to anyone: only a read that bypasses the tier sees it
      assertThat(read(f.client, f.key)).isEqualTo(5);
      assertThat(f.tier().stats().bypasses()).isPositive();
    }
  }

  @Test
  void aFillWhileRedisIsBehindTheTierIsNotKept() throws Exception {
    try (Fixture f = new Fixture("behind", Duration.ofSeconds(30))) {
      // The tier applies an invalidation that Redis has not applied yet: Redis still has the
      // old value, and must not hand it to the tier.
      redis.set(f.key, "1");
      truth.set(2);
      send(invalidation(lsn.incrementAndGet()));
      await().atMost(WAIT).until(() -> f.tier().stats().invalidations() == 1);

      assertThat(read(f.client, f.key)).as("Redis' value").isEqualTo(1);

      assertThat(f.tier().peek(f.key)).isNull();
      assertThat(f.tier().stats().fillsRefused()).isEqualTo(1);
    }
  }

  /**
   * The race the tier's fence exists for, forced step by step: a reader misses, loads the old
   * value, and is held before it fills; the change commits, is evicted in Redis and its
   * invalidation is applied by the tier; then the reader fills. The tier must not keep what the
   * reader loaded.
   */
  @Test
  void aFillThatBeganBeforeAnInvalidationWasAppliedIsNotServed() throws Exception {
    try (Fixture f = new Fixture("interleaved", Duration.ofSeconds(30), true)) {
      assertThat(fillAcrossAChange(f)).as("the reader's own result, loaded before").isEqualTo(1);

      assertThat(f.tier().peek(f.key)).as("what the tier holds").isNull();
      assertThat(f.tier().stats().fillsRefused()).isEqualTo(1);
      assertThat(read(f.client, f.key)).as("the next read").isEqualTo(2);
    }
  }

  /** The same steps with the fence off leave the old value in the tier: the test above can fail. */
  @Test
  void withTheFenceOffTheSameStepsLeaveTheOldValueServed() throws Exception {
    try (Fixture f = new Fixture("interleaved-unfenced", Duration.ofSeconds(30), false)) {
      assertThat(fillAcrossAChange(f)).isEqualTo(1);

      assertThat(f.tier().peek(f.key)).as("what the unfenced tier holds").isEqualTo("1");
      assertThat(read(f.client, f.key)).as("the next read, after the change").isEqualTo(1);
      assertThat(truth.get()).isEqualTo(2);
    }
  }

  /** A read whose load is held until a change was applied by Redis and the tier; its result. */
  private long fillAcrossAChange(Fixture f) throws Exception {
    CountDownLatch loaded = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService reader = Executors.newSingleThreadExecutor();
    try {
      Future<Long> read =
          reader.submit(
              () ->
                  f.client.get(
                      f.key,
                      List.of(tag),
                      Duration.ofMinutes(5),
                      () -> {
                        long value = truth.get();
                        loaded.countDown();
                        assertThat(release.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
                        return value;
                      },
                      Long.class));
      assertThat(loaded.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the reader loaded").isTrue();
      change();
      await().atMost(WAIT).until(() -> f.tier().stats().invalidations() == 1);
      release.countDown();
      return read.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } finally {
      release.countDown();
      reader.shutdownNow();
    }
  }

  @Test
  void readersNeverSeeAValueStaleBeyondTheBoundWhileTheConsumerRestartsAndKafkaIsDown()
      throws Exception {
    try (Fixture f = new Fixture("outage", BOUND)) {
      ConcurrentLinkedQueue<String> staleReads = new ConcurrentLinkedQueue<>();
      AtomicBoolean reading = new AtomicBoolean(true);
      ExecutorService readers = Executors.newFixedThreadPool(3);
      try {
        List<Future<?>> running =
            List.of(
                readers.submit(() -> readUntil(f, reading, staleReads)),
                readers.submit(() -> readUntil(f, reading, staleReads)),
                readers.submit(() -> readUntil(f, reading, staleReads)));
        for (int i = 0; i < 5; i++) {
          change();
        }
        long drops = f.tier().stats().drops();
        f.tier().restartConsumer();
        assertThat(f.tier().stats().drops()).isGreaterThan(drops);
        f.awaitCurrent();
        long hitsBefore = f.tier().stats().hits();
        await().atMost(WAIT).until(() -> f.tier().stats().hits() > hitsBefore + 10);

        kafka.stopBroker();
        List<Long> missed = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) {
          missed.add(evictInRedisOnly()); // the cdc stage's eager eviction goes on
        }
        await().atMost(WAIT).until(() -> !f.tier().isCurrent());
        long bypasses = f.tier().stats().bypasses();
        await().atMost(WAIT).until(() -> f.tier().stats().bypasses() > bypasses + 10);
        kafka.restart();
        for (long position : missed) {
          send(invalidation(position)); // the pipeline delivers them once Kafka is back
        }
        f.awaitCurrent();
        change();
        long hits = f.tier().stats().hits();
        await().atMost(WAIT).until(() -> f.tier().stats().hits() > hits + 10);

        reading.set(false);
        for (Future<?> reader : running) {
          reader.get();
        }
      } finally {
        reading.set(false);
        readers.shutdownNow();
        if (!kafka.isRunning()) {
          kafka.restart(); // for the tests after this one
        }
      }
      assertThat(staleReads).as("reads stale beyond the bound").isEmpty();
    }
  }

  /** Reads until told to stop; notes each read whose value was replaced over the bound before. */
  private Void readUntil(Fixture f, AtomicBoolean reading, ConcurrentLinkedQueue<String> stale)
      throws Exception {
    long slack = Duration.ofMillis(200).toNanos(); // the read itself, and the clocks
    while (reading.get()) {
      long start = System.nanoTime();
      long value = read(f.client, f.key);
      Long replaced = replacedAt.get(value);
      if (replaced != null && start - replaced > BOUND.toNanos() + slack) {
        stale.add(
            "value "
                + value
                + " read "
                + (start - replaced) / 1_000_000
                + " ms after it was replaced; tier "
                + f.tier().stats());
      }
    }
    return null;
  }

  private long readAfter(CacheClient client, String key, WriteToken token) {
    return client.getAfter(
        token,
        Duration.ofSeconds(5),
        key,
        List.of(tag),
        Duration.ofMinutes(5),
        truth::get,
        Long.class);
  }

  private long read(CacheClient client, String key) {
    return client.get(key, List.of(tag), Duration.ofMinutes(5), truth::get, Long.class);
  }

  /** A committed change as the pipeline delivers it: Redis evicted, then the topic. */
  private void change() throws Exception {
    long position = evictInRedisOnly();
    send(invalidation(position));
    advance();
  }

  /**
   * The change committed and its tag evicted in Redis as the eviction step does it: the version
   * bumped (so a fill that loaded the old value is refused), the entry deleted, the tag's position
   * stored; then the watermark. Deleting the entry alone would let a reader that loaded the old
   * value before the change write it back after.
   */
  private long evictInRedisOnly() {
    long old = truth.getAndIncrement();
    replacedAt.put(old, System.nanoTime());
    long position = lsn.incrementAndGet();
    evictor.evict(Map.of(tag, position), Map.of(), 1);
    redis.set(CacheKeys.watermark(), Long.toString(position));
    return position;
  }

  /** A watermark in the topic, and Redis' watermark as far. */
  private void advance() throws Exception {
    long position = lsn.incrementAndGet();
    redis.set(CacheKeys.watermark(), Long.toString(position));
    producer
        .send(
            new ProducerRecord<>(
                topic,
                0,
                null,
                Watermark.KEY.getBytes(UTF_8),
                Watermark.of(position, 0, 1).encode(),
                Watermark.headers()))
        .get();
  }

  private void send(Invalidation invalidation) throws Exception {
    producer
        .send(
            new ProducerRecord<>(
                topic, 0, invalidation.tag().getBytes(UTF_8), invalidation.encode()))
        .get();
  }

  private Invalidation invalidation(long position) {
    return new Invalidation(
        Invalidation.SCHEMA_VERSION, tag, "public.users", Op.UPDATE, position, position, 1, 1);
  }

  /** A topic, a producer and a client with the near cache, current before the test begins. */
  private final class Fixture implements AutoCloseable {
    final CacheClient client;
    final String key;

    Fixture(String name, Duration bound) throws Exception {
      this(name, bound, true);
    }

    Fixture(String name, Duration bound, boolean fenced) throws Exception {
      topic = "near-" + name + "-" + System.nanoTime() + "-invalidations";
      key = CacheKeys.entry("near_" + name, 1);
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
      }
      producer =
          new KafkaProducer<>(
              Map.of("bootstrap.servers", kafka.bootstrapServers(), "delivery.timeout.ms", 120_000),
              new ByteArraySerializer(),
              new ByteArraySerializer());
      NearCacheOptions.Builder near =
          NearCacheOptions.builder(kafka.bootstrapServers()).topic(topic).maxStaleness(bound);
      if (!fenced) {
        near.unfencedForTests();
      }
      client =
          CacheClient.builder().redisUri(TestServers.redis().uri()).nearCache(near.build()).build();
      awaitCurrent();
    }

    NearCache tier() {
      return client.nearCache().orElseThrow();
    }

    /** Sends watermarks until the tier is current (its consumer starts at the topic's end). */
    void awaitCurrent() {
      await()
          .atMost(WAIT)
          .until(
              () -> {
                advance();
                return tier().isCurrent();
              });
    }

    @Override
    public void close() {
      client.close();
      producer.close();
    }
  }
}
