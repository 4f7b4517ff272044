package io.cachepipe.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.EvictionReport;
import io.cachepipe.core.change.Watermark;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.kafka.TopicCreator;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.redis.evict.EvictionConfig;
import io.cachepipe.redis.evict.EvictorConnection;
import io.cachepipe.redis.evict.TagEvictor;
import io.cachepipe.testing.PostgresFixture;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The eviction at capture, with the cdc stage alone (no invalidator): each captured change's tags
 * are evicted in Redis at the change's commit position, and the later eviction of the same change
 * through Kafka finds it done. Redis down or silent never holds the capture up.
 */
class EagerEvictionIT {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private static PostgresFixture.Database db;
  private static String topicPrefix;
  private static Topics topics;
  private static KafkaConsumer<String, byte[]> consumer;
  private static final List<ConsumerRecord<String, byte[]>> received = new ArrayList<>();
  private static RedisClient redisClient;
  private static StatefulRedisConnection<String, String> redisConnection;
  private static RedisCommands<String, String> redis;

  private final List<Throwable> engineFailures = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void setUp() {
    db = TestServers.postgres().createDatabase("eager_eviction_it");
    String bootstrap = TestServers.kafka().bootstrapServers();
    topicPrefix = TestServers.kafka().uniqueTopicPrefix("eager-eviction-it");
    topics = Topics.from(Settings.of(settings("probe")));
    TopicCreator.ensure(bootstrap, topics);
    consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG,
                topicPrefix + "-test-reader",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new StringDeserializer(),
            new ByteArrayDeserializer());
    consumer.subscribe(List.of(topics.changes(), topics.evictions()));
    redisClient = RedisClient.create(TestServers.redis().uri());
    redisConnection = redisClient.connect();
    redis = redisConnection.sync();
  }

  @AfterAll
  static void tearDown() throws SQLException {
    if (consumer != null) {
      consumer.close(Duration.ofSeconds(5));
    }
    if (redisConnection != null) {
      redisConnection.close();
      redisClient.shutdown();
    }
    if (db != null) {
      try (Connection c = connect();
          PreparedStatement st =
              c.prepareStatement(
                  "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                      + " WHERE database = current_database() AND NOT active")) {
        st.executeQuery().close();
      }
    }
  }

  @AfterEach
  void noEngineFailedOnItsOwn() {
    assertThat(engineFailures).isEmpty();
  }

  @Test
  void aChangeIsEvictedAtCaptureAtItsCommitPositionWithNoInvalidatorRunning() throws Exception {
    try (ChangeCapture capture = startCapture(settings("evicts"))) {
      long user = insertUser("eager");
      String tag = "user:" + user;
      String key = "cp:eager-it:user:" + user;
      // The insert's own eager eviction comes first; an entry cached before it would be deleted
      // by it, not by the update's.
      await().atMost(TIMEOUT).until(() -> redis.get(CacheKeys.tagPosition(tag)) != null);
      cache(key, tag);
      long versionBefore = version(tag);

      execute("UPDATE users SET name = 'renamed' WHERE id = ?", user);

      await().atMost(TIMEOUT).until(() -> redis.exists(key) == 0);
      ChangeEvent update = awaitChange(user, "renamed");
      assertThat(version(tag)).isGreaterThan(versionBefore);
      assertThat(redis.get(CacheKeys.tagPosition(tag)))
          .isEqualTo(Long.toString(update.commitLsn()));
      EagerEvictionStats stats = capture.eagerEviction().orElseThrow();
      assertThat(stats.evictions()).isPositive();
      assertThat(stats.keysDeleted()).isPositive();
      assertThat(stats.latency().total().getTotalCount()).isPositive();
      assertThat(stats.failedChanges()).isZero();

      // Its report names the deleted entry, so that the warmer recomputes it.
      EvictionReport report = awaitReport(tag, update.commitLsn());
      assertThat(report.skipped()).isFalse();
      assertThat(report.liveKeys()).containsExactly(key);
    }
  }

  @Test
  void theEvictionThroughKafkaOfAChangeEvictedAtCaptureBumpsNoVersionAndDeletesNoNewFill()
      throws Exception {
    try (ChangeCapture capture = startCapture(settings("then-kafka"))) {
      long user = insertUser("twice");
      String tag = "user:" + user;
      String key = "cp:eager-it:twice:" + user;
      cache(key, tag);

      execute("UPDATE users SET name = 'twice renamed' WHERE id = ?", user);
      await().atMost(TIMEOUT).until(() -> redis.exists(key) == 0);
      ChangeEvent update = awaitChange(user, "twice renamed");
      long versionAfterEager = version(tag);
      // A reader fills the entry afresh after the eviction at capture ...
      cache(key, tag);

      // ... and the eviction step behind Kafka evicts the same change, as it read it from Kafka.
      Settings settings = Settings.of(settings("then-kafka"));
      try (EvictorConnection kafkaPath =
          EvictorConnection.open(
              Connections.from(settings), EvictionConfig.from(settings), "test")) {
        TagEvictor.EvictedTag done =
            kafkaPath.evictor().evict(Map.of(tag, update.commitLsn())).get(tag);
        assertThat(done.skipped()).isTrue();
        assertThat(done.liveCount()).isZero();
      }
      assertThat(version(tag)).isEqualTo(versionAfterEager);
      assertThat(redis.exists(key)).isEqualTo(1);
      assertThat(capture.eagerEviction().orElseThrow().skipped()).isZero();
    }
  }

  @Test
  void captureGoesOnWhileRedisDoesNotAnswer() throws Exception {
    // A server that accepts connections and never answers: an eager eviction waits its timeout.
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Map<String, String> s = settings("silent-redis");
      s.put("cachepipe.redis.uri", "redis://127.0.0.1:" + silent.getLocalPort());
      s.put("cachepipe.cdc.eager.eviction.timeout.ms", "600000");
      createSlot(s.get("cachepipe.cdc.slot.name")); // an existing slot needs no cache flush
      try (ChangeCapture capture = startCapture(s)) {
        long before = capture.stats().captured();
        for (int i = 0; i < 20; i++) {
          insertUser("silent-" + i);
        }
        // Were the capture waiting for Redis, nothing would be acknowledged for ten minutes.
        await().atMost(TIMEOUT).until(() -> capture.stats().captured() >= before + 20);
        assertThat(capture.eagerEviction().orElseThrow().changes()).isZero();
      }
    }
  }

  @Test
  void anEagerEvictionThatFailsIsCountedAndCaptureGoesOn() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    Map<String, String> s = settings("redis-down");
    s.put("cachepipe.redis.uri", "redis://127.0.0.1:" + closedPort);
    createSlot(s.get("cachepipe.cdc.slot.name"));
    try (ChangeCapture capture = startCapture(s)) {
      long before = capture.stats().captured();
      for (int i = 0; i < 5; i++) {
        insertUser("down-" + i);
      }
      await().atMost(TIMEOUT).until(() -> capture.stats().captured() >= before + 5);
      EagerEvictionStats stats = capture.eagerEviction().orElseThrow();
      await().atMost(TIMEOUT).until(() -> stats.failedChanges() > 0);
      assertThat(stats.evictions()).isZero();
    }
  }

  @Test
  void switchedOffByItsKeyOrWithoutARedisConfigured() throws Exception {
    Map<String, String> off = settings("eager-off");
    off.put("cachepipe.cdc.eager.eviction", "false");
    try (ChangeCapture capture = startCapture(off)) {
      assertThat(capture.eagerEviction()).isEmpty();
    }
    Map<String, String> noRedis = settings("no-redis");
    noRedis.remove("cachepipe.redis.uri");
    createSlot(noRedis.get("cachepipe.cdc.slot.name"));
    try (ChangeCapture capture = startCapture(noRedis)) {
      assertThat(capture.eagerEviction()).isEmpty();
    }
  }

  // --- the connector ---

  private static Map<String, String> settings(String name) {
    Map<String, String> s = new HashMap<>();
    s.put("cachepipe.postgres.url", db.jdbcUrl());
    s.put("cachepipe.postgres.user", db.user());
    s.put("cachepipe.postgres.password", db.password());
    s.put("kafka.bootstrap.servers", TestServers.kafka().bootstrapServers());
    s.put("cachepipe.redis.uri", TestServers.redis().uri());
    s.put("cachepipe.topic.changes", topicPrefix + ".changes");
    s.put("cachepipe.topic.invalidations", topicPrefix + ".invalidations");
    s.put("cachepipe.topic.evictions", topicPrefix + ".evictions");
    s.put("cachepipe.topic.dead.letter", topicPrefix + ".dead-letter");
    s.put("cachepipe.topic.partitions", "1");
    s.put("cachepipe.cdc.tables", "public.users");
    String id = name.replace('-', '_');
    s.put("cachepipe.cdc.slot.name", "eager_" + id);
    s.put("cachepipe.cdc.publication.name", "eager_" + id);
    s.put("cachepipe.cdc.offsets.topic", topicPrefix + "." + name + ".offsets");
    s.put("cachepipe.cdc.name", topicPrefix + "-" + name);
    return s;
  }

  private ChangeCapture startCapture(Map<String, String> settings) throws Exception {
    ChangeCapture capture = ChangeCapture.start(Settings.of(settings), engineFailures::add);
    try {
      capture.awaitStarted(START_TIMEOUT);
    } catch (Exception | Error e) {
      capture.close();
      throw e;
    }
    return capture;
  }

  // --- Redis ---

  /** What a fenced fill leaves: the entry, and its key in the tag's registry. */
  private static void cache(String key, String tag) {
    redis.set(key, "{\"cached\":true}");
    redis.zadd(CacheKeys.tagRegistry(tag), 0, key);
  }

  private static long version(String tag) {
    return Optional.ofNullable(redis.get(CacheKeys.tagVersion(tag)))
        .map(Long::parseLong)
        .orElse(0L);
  }

  // --- Kafka ---

  private ChangeEvent awaitChange(long user, String name) {
    return await()
        .atMost(TIMEOUT)
        .pollInSameThread()
        .until(
            () -> {
              poll();
              return received.stream()
                  .filter(r -> r.topic().equals(topics.changes()))
                  .filter(r -> !Watermark.isWatermark(r.headers()))
                  .map(r -> ChangeEvent.CONTRACT.decode(r.value()))
                  .filter(c -> c.after() != null && name.equals(c.after().get("name")))
                  .filter(c -> ((Number) c.key().get("id")).longValue() == user)
                  .findFirst();
            },
            Optional::isPresent)
        .orElseThrow();
  }

  private EvictionReport awaitReport(String tag, long commitLsn) {
    return await()
        .atMost(TIMEOUT)
        .pollInSameThread()
        .until(
            () -> {
              poll();
              return received.stream()
                  .filter(r -> r.topic().equals(topics.evictions()))
                  .map(r -> EvictionReport.CONTRACT.decode(r.value()))
                  .filter(r -> r.tag().equals(tag) && r.commitLsn() == commitLsn)
                  .findFirst();
            },
            Optional::isPresent)
        .orElseThrow();
  }

  private static synchronized void poll() {
    consumer.poll(Duration.ofMillis(100)).forEach(received::add);
  }

  // --- the database ---

  private static long insertUser(String name) throws SQLException {
    try (Connection c = connect();
        PreparedStatement st =
            c.prepareStatement("INSERT INTO users (name, email) VALUES (?, ?) RETURNING id")) {
      st.setString(1, name);
      st.setString(2, name + "@example.com");
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static void createSlot(String slot) throws SQLException {
    try (Connection c = connect();
        PreparedStatement st =
            c.prepareStatement("SELECT pg_create_logical_replication_slot(?, 'pgoutput')")) {
      st.setString(1, slot);
      st.executeQuery().close();
    }
  }

  private static void execute(String sql, long id) throws SQLException {
    try (Connection c = connect();
        PreparedStatement st = c.prepareStatement(sql)) {
      st.setLong(1, id);
      st.executeUpdate();
    }
  }

  private static Connection connect() throws SQLException {
    return DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
  }
}
