package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.client.CacheClient;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.redis.CacheKeys;
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
import org.junit.jupiter.api.Test;

/**
 * One active cdc-connector per slot: of two {@code run --stages cdc} processes on the same slot one
 * captures and the other stands by; when the active one is killed (SIGKILL) the standby takes over
 * and the changes committed meanwhile are not lost.
 */
class CdcStandbyIT {

  private static final Duration WAIT = Duration.ofSeconds(120);

  @Test
  void aStandbyTakesOverTheSlotWhenTheActiveConnectorIsKilled() throws Exception {
    Database db = TestServers.postgres().createDatabase("cdc_standby_it");
    TestServers.redis().flushAll();
    Map<String, String> values = PipelineTestSettings.values(db, "cdc-standby");
    Settings settings = Settings.of(values);
    Path dir = Files.createDirectories(Path.of("target", "cdc-standby-it"));
    sql(db, "INSERT INTO users (id, name, email) VALUES (1, 'ada', 'ada@x'), (2, 'bob', 'bob@x')");
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    List<SidecarProcess> processes = new ArrayList<>();
    RedisClient inspector = RedisClient.create(TestServers.redis().uri());
    try (Pipeline invalidator =
            Pipeline.start(settings, EnumSet.of(Stage.INVALIDATOR), failure::complete);
        CacheClient cache = CacheClient.create(TestServers.redis().uri())) {
      RedisCommands<String, String> redis = inspector.connect().sync();
      invalidator.awaitReady(WAIT);
      processes.add(startCdc(values, dir, 0));
      await("the first connector captures")
          .atMost(WAIT)
          .until(() -> processes.get(0).output().contains("capturing"));
      processes.add(startCdc(values, dir, 1));
      await("the second stands by")
          .atMost(WAIT)
          .until(() -> processes.get(1).output().contains("standby:"));

      String ada = cache(cache, 1);
      sql(db, "UPDATE users SET name = 'ada 2' WHERE id = 1");
      await("the active connector's change is evicted")
          .atMost(WAIT)
          .until(() -> redis.exists(ada) == 0);
      assertThat(processes.get(1).output()).doesNotContain("capturing");

      String bob = cache(cache, 2);
      processes.get(0).kill();
      long killed = System.nanoTime();
      // Committed while no connector captures: the slot keeps it for the one that takes over.
      sql(db, "UPDATE users SET name = 'bob 2' WHERE id = 2");
      await("the standby takes over")
          .atMost(WAIT)
          .until(() -> processes.get(1).output().contains("taking over slot"));
      await("the change committed during the takeover is evicted")
          .atMost(WAIT)
          .until(() -> redis.exists(bob) == 0);
      System.out.printf(
          "cdc standby: took over and evicted the pending change %d ms after the kill%n",
          (System.nanoTime() - killed) / 1_000_000);
      assertThat(processes.get(1).isAlive()).isTrue();
      assertThat(failure).isNotDone();
    } finally {
      for (SidecarProcess p : processes) {
        p.kill();
      }
      inspector.shutdown();
      sql(
          db,
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
              + " WHERE database = current_database() AND NOT active");
    }
  }

  private static String cache(CacheClient cache, long user) {
    String key = CacheKeys.entry("user", user);
    cache.get(
        key, List.of("user:" + user), Duration.ofHours(1), () -> Map.of("id", user), Map.class);
    return key;
  }

  private static SidecarProcess startCdc(Map<String, String> values, Path dir, int index)
      throws Exception {
    Path config =
        PipelineTestSettings.writeConfig(
            dir, "cdc-" + index, values, Map.of("cachepipe.cdc.standby.poll.ms", "200"));
    return SidecarProcess.start(
        dir.resolve("cdc-" + index),
        Map.of(),
        "run",
        "--config",
        config.toString(),
        "--stages",
        "cdc",
        "--admin-port",
        "-1");
  }

  private static void sql(Database db, String statement) throws Exception {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }
}
