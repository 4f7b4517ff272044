package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.client.CacheClient;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

/**
 * {@code cachepipe run} as an operator runs it: its own process, configured by a properties file
 * and the environment, evicting what a commit changed, and stopping cleanly on SIGTERM.
 */
class RunCommandIT {

  @Test
  void runProcessEvictsOnCommitAndStopsOnSigterm() throws Exception {
    Database db = TestServers.postgres().createDatabase("run_it");
    String prefix = TestServers.kafka().uniqueTopicPrefix("run");
    Path dir = Files.createDirectories(Path.of("target", "run-it"));
    Path config = dir.resolve("cachepipe.properties");
    Files.writeString(
        config,
        String.join(
            "\n",
            "cachepipe.postgres.url=" + db.jdbcUrl(),
            "cachepipe.postgres.user=" + db.user(),
            "cachepipe.postgres.password=" + db.password(),
            "kafka.bootstrap.servers=" + TestServers.kafka().bootstrapServers(),
            "cachepipe.redis.uri=redis://127.0.0.1:1",
            "cachepipe.topic.changes=" + prefix + "changes",
            "cachepipe.topic.invalidations=" + prefix + "invalidations",
            "cachepipe.topic.evictions=" + prefix + "evictions",
            "cachepipe.topic.dead.letter=" + prefix + "dead-letter",
            "cachepipe.topic.partitions=1",
            "cachepipe.cdc.name=" + prefix + "cdc",
            "cachepipe.cdc.slot.name=run_it",
            "cachepipe.cdc.offsets.topic=" + prefix + "offsets",
            "cachepipe.invalidator.application.id=" + prefix + "invalidator",
            "cachepipe.invalidator.state.dir=" + dir.resolve("streams").toAbsolutePath(),
            "cachepipe.warmer.group.id=" + prefix + "warmer",
            "cachepipe.admin.port=0",
            ""));
    sql(db, "INSERT INTO users (id, name, email) VALUES (1, 'ada', 'ada@example.com')");

    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-Xmx384m",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "run",
                "--config",
                config.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("run.log").toFile());
    // The environment overrides the file: the file's Redis address is a dead port.
    builder.environment().put("CACHEPIPE_REDIS_URI", TestServers.redis().uri());
    Process run = builder.start();
    try (CacheClient cache = CacheClient.create(TestServers.redis().uri())) {
      RedisClient inspector = RedisClient.create(TestServers.redis().uri());
      var redis = inspector.connect().sync();
      String key = CacheKeys.entry("user", 1);
      await("the run process evicts what a commit changed")
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                assertThat(run.isAlive())
                    .as("run is alive; see %s", dir.resolve("run.log"))
                    .isTrue();
                cache.get(
                    key, List.of("user:1"), Duration.ofHours(1), () -> Map.of("id", 1), Map.class);
                sql(db, "UPDATE users SET name = 'ada " + System.nanoTime() + "' WHERE id = 1");
                // Until the process streams, a commit goes unseen: then try again.
                try {
                  await().atMost(Duration.ofSeconds(5)).until(() -> redis.exists(key) == 0);
                  return true;
                } catch (ConditionTimeoutException notYet) {
                  return false;
                }
              });
      inspector.shutdown();
    } finally {
      run.destroy(); // SIGTERM
      boolean exited = run.waitFor(30, TimeUnit.SECONDS);
      if (!exited) {
        run.destroyForcibly();
      }
      assertThat(exited).as("run stops within 30 s of SIGTERM").isTrue();
    }
  }

  private static void sql(Database db, String statement) throws Exception {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }
}
