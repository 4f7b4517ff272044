package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.client.CacheClient;
import io.cachepipe.client.WriteToken;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.invalidator.Invalidator;
import io.cachepipe.invalidator.InvalidatorConfig;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.junit.jupiter.api.Test;

/**
 * Two invalidator processes ({@code run --stages invalidator}, separate JVMs) share the tags by
 * partition; after one is killed with SIGKILL the other takes its partitions and every change is
 * still evicted.
 */
class InvalidatorScaleOutIT {

  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final int AUTHORS = 16;

  @Test
  void twoProcessesShareThePartitionsAndTheSurvivorTakesOverAKilledOnes() throws Exception {
    Database db = TestServers.postgres().createDatabase("invalidator_scale_out_it");
    TestServers.redis().flushAll();
    Map<String, String> values = PipelineTestSettings.values(db, "invalidator-scale-out");
    Settings settings = Settings.of(values);
    Path dir = Files.createDirectories(Path.of("target", "invalidator-scale-out-it"));
    String appId = settings.get(InvalidatorConfig.APPLICATION_ID);
    String evictionGroup = Invalidator.evictionGroup(InvalidatorConfig.from(settings));
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    List<SidecarProcess> processes = new ArrayList<>();
    RedisClient inspector = RedisClient.create(TestServers.redis().uri());
    try (Pipeline capture = Pipeline.start(settings, EnumSet.of(Stage.CDC), failure::complete);
        CacheClient cache = CacheClient.create(TestServers.redis().uri());
        Admin admin =
            Admin.create(
                Map.of(
                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                    TestServers.kafka().bootstrapServers()))) {
      capture.awaitReady(WAIT);
      for (int i = 0; i < 2; i++) {
        processes.add(startInvalidator(values, dir, i));
      }
      await("both processes share the eviction step's partitions")
          .atMost(WAIT)
          .until(() -> membersWithPartitions(admin, evictionGroup) == 2);
      await("both processes share the Streams tasks")
          .atMost(WAIT)
          .until(() -> membersWithPartitions(admin, appId) == 2);
      RedisCommands<String, String> redis = inspector.connect().sync();
      sql(
          db,
          "INSERT INTO users (id, name, email) SELECT g, 'u' || g, 'u' || g || '@x'"
              + " FROM generate_series(1, "
              + AUTHORS
              + ") g");
      awaitWatermarkAfterNow(db, cache);

      List<String> first = cacheAll(cache);
      sql(db, "UPDATE users SET name = name || '!'");
      await("two processes evict every author")
          .atMost(WAIT)
          .until(() -> redis.exists(first.toArray(String[]::new)) == 0);

      processes.get(0).kill();
      await("the survivor owns every eviction partition")
          .atMost(WAIT)
          .until(() -> membersWithPartitions(admin, evictionGroup) == 1);
      await("the survivor owns every Streams task")
          .atMost(WAIT)
          .until(() -> membersWithPartitions(admin, appId) == 1);
      awaitWatermarkAfterNow(db, cache);

      List<String> cached = cacheAll(cache);
      sql(db, "UPDATE users SET name = name || '?'");
      await("the survivor alone evicts every author")
          .atMost(WAIT)
          .until(() -> redis.exists(cached.toArray(String[]::new)) == 0);
      assertThat(failure).isNotDone();
      assertThat(processes.get(1).isAlive()).isTrue();
    } finally {
      for (SidecarProcess p : processes) {
        p.kill();
      }
      inspector.shutdown();
    }
  }

  private static SidecarProcess startInvalidator(Map<String, String> values, Path dir, int index)
      throws Exception {
    Path config =
        PipelineTestSettings.writeConfig(
            dir,
            "invalidator-" + index,
            values,
            Map.of(
                // Each process its own Streams state directory, as on two machines.
                InvalidatorConfig.STATE_DIR.name(),
                Files.createTempDirectory("invalidator-" + index).toString(),
                // A killed member's partitions move after its session times out: the broker's
                // minimum.
                "kafka.streams.consumer.session.timeout.ms",
                "6000",
                "kafka.eviction.consumer.session.timeout.ms",
                "6000",
                "kafka.eviction.consumer.heartbeat.interval.ms",
                "1000"));
    return SidecarProcess.start(
        dir.resolve("invalidator-" + index),
        Map.of(),
        "run",
        "--config",
        config.toString(),
        "--stages",
        "invalidator",
        "--admin-port",
        "-1");
  }

  /** Members of {@code group} that hold at least one partition. */
  private static long membersWithPartitions(Admin admin, String group) throws Exception {
    ConsumerGroupDescription description;
    try {
      description = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof GroupIdNotFoundException) {
        return 0; // no member has joined yet
      }
      throw e;
    }
    return description.members().stream()
        .map(MemberDescription::assignment)
        .filter(a -> !a.topicPartitions().isEmpty())
        .collect(Collectors.counting());
  }

  /** Waits until every change committed so far has been evicted. */
  private static void awaitWatermarkAfterNow(Database db, CacheClient cache) throws Exception {
    WriteToken now;
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
      now = WriteToken.afterCommit(c);
    }
    await("every change so far evicted").atMost(WAIT).until(() -> cache.watermark() >= now.lsn());
  }

  private static List<String> cacheAll(CacheClient cache) {
    List<String> keys = new ArrayList<>();
    for (long author = 1; author <= AUTHORS; author++) {
      String key = CacheKeys.entry("user", author);
      long id = author;
      cache.get(
          key, List.of("user:" + author), Duration.ofHours(1), () -> Map.of("id", id), Map.class);
      keys.add(key);
    }
    return keys;
  }

  private static void sql(Database db, String statement) throws Exception {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }
}
