package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.client.CacheClient;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.example.ExampleSchema;
import io.cachepipe.servers.FreePort;
import io.cachepipe.sidecar.admin.AdminConfig;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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

  /**
   * The measurement: against a database without the watched tables, {@code run} exited 1
   * ("watched table public.posts does not exist"), a crash loop under {@code restart: on-failure}.
   * It waits for them instead, says so once, is not ready meanwhile, and starts capturing when a
   * migration creates them; nothing it did not cause is logged at WARN on the way.
   */
  @Test
  void runWaitsForWatchedTablesThatDoNotExistYet() throws Exception {
    Database db = TestServers.postgres().createEmptyDatabase("run_tables_it");
    Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "run-tables-");
    int adminPort = FreePort.pick();
    Path config =
        PipelineTestSettings.writeConfig(
            dir,
            "tables",
            PipelineTestSettings.values(db, "run-tables"),
            Map.of(AdminConfig.PORT.name(), Integer.toString(adminPort)));
    SidecarProcess run = operatorRun(dir, "run-tables", adminPort, "--config", config.toString());
    run.start();
    try {
      await("run says it waits for the tables (see " + run.log() + ")")
          .atMost(Duration.ofSeconds(60))
          .until(() -> run.logLinesContaining("do not exist yet") == 1);
      HttpResponse<String> waiting =
          await("the admin port answers")
              .atMost(Duration.ofSeconds(30))
              .ignoreExceptions()
              .until(() -> ready(adminPort), r -> r.statusCode() > 0);
      assertThat(run.isAlive()).isTrue();
      assertThat(waiting.statusCode()).isEqualTo(503);
      assertThat(waiting.body()).contains("\"cdc\":{\"state\":\"waiting_for_tables\"");

      ExampleSchema.migrate(db.jdbcUrl(), db.user(), db.password());

      run.awaitReady(Duration.ofSeconds(90));
      assertThat(run.logLinesContaining("do not exist yet")).as("said once").isEqualTo(1);
      assertThat(run.output().lines().filter(l -> l.contains(" WARN ")))
          .as("WARN lines of a start that waited for its tables")
          .allMatch(l -> l.contains("do not exist yet"));
    } finally {
      run.stop(Duration.ofSeconds(30));
    }
  }

  /**
   * A cdc-only sidecar needs no Redis once its slot exists (a first start flushes the cache, see
   * SlotRecovery): it used to stop at start because the continuous audit, on in every instance,
   * connected to Redis. With Redis nowhere, it is ready and captures.
   */
  @Test
  void aCdcOnlySidecarRunsWithoutRedis() throws Exception {
    Database db = TestServers.postgres().createDatabase("run_cdc_only_it");
    sql(db, "SELECT pg_create_logical_replication_slot('" + db.name() + "', 'pgoutput')");
    Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target")), "run-cdc-");
    int adminPort = FreePort.pick();
    Path config =
        PipelineTestSettings.writeConfig(
            dir,
            "cdc-only",
            PipelineTestSettings.values(db, "run-cdc-only"),
            Map.of(
                AdminConfig.PORT.name(),
                Integer.toString(adminPort),
                "cachepipe.redis.uri",
                "redis://127.0.0.1:" + FreePort.pick()));
    SidecarProcess run =
        operatorRun(
            dir, "run-cdc-only", adminPort, "--stages", "cdc", "--config", config.toString());
    run.start();
    try {
      run.awaitReady(Duration.ofSeconds(90));
      sql(db, "INSERT INTO users (id, name, email) VALUES (1, 'ada', 'ada@example.com')");

      await("the change is captured")
          .atMost(Duration.ofSeconds(30))
          .until(() -> run.metric("cachepipe_cdc_changes_total") >= 1);
      assertThat(ready(adminPort).body()).contains("\"ready\":true").doesNotContain("redis");
    } finally {
      run.stop(Duration.ofSeconds(30));
    }
  }

  /** {@code run ARGS} as an operator runs it, not started yet, its admin port on {@code port}. */
  private static SidecarProcess operatorRun(Path dir, String name, int port, String... args) {
    List<String> command = new java.util.ArrayList<>(List.of("run"));
    command.addAll(List.of(args));
    return SidecarProcess.named(
        dir,
        name,
        port,
        List.of("-XX:TieredStopAtLevel=1", "-Xmx384m", "-Dlogback.configurationFile=logback.xml"),
        command);
  }

  private static HttpResponse<String> ready(int port) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  private static void sql(Database db, String statement) throws Exception {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }
}
