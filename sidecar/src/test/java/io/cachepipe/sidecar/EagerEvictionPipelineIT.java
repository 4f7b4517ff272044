package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.cdc.EagerEvictionStats;
import io.cachepipe.client.CacheClient;
import io.cachepipe.core.change.EvictionReport;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole pipeline with the eviction at capture on (the default): a change is evicted once, by
 * whichever evictor comes first, and the other one's eviction of it is a skip: one version bump,
 * one applied report, one skipped report, so the change counts as no duplicate.
 */
class EagerEvictionPipelineIT {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private static Database db;
  private static Pipeline pipeline;
  private static CacheClient cache;
  private static RedisClient redisClient;
  private static StatefulRedisConnection<String, String> redisConnection;
  private static RedisCommands<String, String> redis;
  private static KafkaConsumer<String, byte[]> evictions;
  private static final List<EvictionReport> reports = new ArrayList<>();
  private static final CompletableFuture<Throwable> failure = new CompletableFuture<>();

  @BeforeAll
  static void startPipeline() throws Exception {
    db = TestServers.postgres().createDatabase("eager_pipeline_it");
    Settings settings = Settings.of(PipelineTestSettings.values(db, "eager-pipeline"));
    pipeline = Pipeline.start(settings, SidecarConfig.validate(settings), failure::complete);
    pipeline.capture().awaitStarted(Duration.ofSeconds(60));
    cache = CacheClient.create(TestServers.redis().uri());
    redisClient = RedisClient.create(TestServers.redis().uri());
    redisConnection = redisClient.connect();
    redis = redisConnection.sync();
    evictions =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                TestServers.kafka().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG,
                "eager-pipeline-it-reader",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new StringDeserializer(),
            new ByteArrayDeserializer());
    evictions.subscribe(List.of(Topics.from(settings).evictions()));
  }

  @AfterAll
  static void stopPipeline() {
    if (evictions != null) {
      evictions.close(Duration.ofSeconds(5));
    }
    if (pipeline != null) {
      pipeline.close();
    }
    if (cache != null) {
      cache.close();
    }
    if (redisConnection != null) {
      redisConnection.close();
      redisClient.shutdown();
    }
    assertThat(failure).as("no stage failed").isNotDone();
  }

  @Test
  void aChangeIsEvictedOnceAndItsSecondEvictionIsASkip() throws Exception {
    sql("INSERT INTO users (id, name, email) VALUES (1, 'one', 'one@example.com')");
    String tag = "user:1";
    await("the insert's eviction through Kafka").atMost(WAIT).until(() -> report(tag).isPresent());
    String key = CacheKeys.entry("user", 1);
    cache.get(key, List.of(tag), Duration.ofHours(1), () -> Map.of("id", 1), Map.class);
    assertThat(redis.exists(key)).as("cached").isEqualTo(1);
    long versionBefore = Long.parseLong(redis.get(CacheKeys.tagVersion(tag)));
    EagerEvictionStats eager = pipeline.capture().eagerEviction().orElseThrow();
    long eagerSkippedBefore = eager.skipped();

    sql("UPDATE users SET name = 'renamed' WHERE id = 1");

    // Eviction at capture first (as good as always): its report, then Kafka's path's skipped one.
    // Kafka's path first: its report, and the eviction at capture skipped (nothing to report).
    await("the second eviction of the update")
        .atMost(WAIT)
        .until(
            () ->
                reportsAfterTheInsert(tag).stream().anyMatch(EvictionReport::skipped)
                    || eager.skipped() > eagerSkippedBefore);
    List<EvictionReport> update = reportsAfterTheInsert(tag);
    assertThat(update)
        .extracting(EvictionReport::commitLsn)
        .containsOnly(update.get(0).commitLsn());
    assertThat(update)
        .filteredOn(r -> !r.skipped())
        .singleElement()
        .satisfies(r -> assertThat(r.liveKeys()).containsExactly(key));
    assertThat(Long.parseLong(redis.get(CacheKeys.tagVersion(tag))))
        .as("one version bump for one change")
        .isEqualTo(versionBefore + 1);
    assertThat(redis.exists(key)).isZero();
    assertThat(eager.evictions()).as("evicted at capture").isPositive();
  }

  /** The first report of {@code tag}, if any was read yet. */
  private static Optional<EvictionReport> report(String tag) {
    poll();
    return reports.stream().filter(r -> r.tag().equals(tag)).findFirst();
  }

  /** Reports of {@code tag} after the insert's: its commit position is the insert's or later. */
  private static List<EvictionReport> reportsAfterTheInsert(String tag) {
    poll();
    long insert = report(tag).orElseThrow().commitLsn();
    return reports.stream()
        .filter(r -> r.tag().equals(tag))
        .filter(r -> r.commitLsn() > insert)
        .toList();
  }

  private static synchronized void poll() {
    evictions
        .poll(Duration.ofMillis(100))
        .forEach(r -> reports.add(EvictionReport.CONTRACT.decode(r.value())));
  }

  private static void sql(String statement) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }
}
