package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution archive Maven builds (what the Dockerfile packages) unpacks into bin/, config/
 * and lib/, and its own bin/cachepipe runs: the image's entry point, tested without Docker.
 */
class DistributionIT {

  @TempDir static Path unpacked;
  private static Path home;

  @BeforeAll
  static void unpackTheArchive() throws Exception {
    Path archive;
    try (Stream<Path> files = Files.list(Path.of("target"))) {
      archive =
          files
              .filter(p -> p.getFileName().toString().matches("cachepipe-.*\\.tar\\.gz"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no distribution archive in target/"));
    }
    Result tar =
        run(List.of("tar", "xzf", archive.toAbsolutePath().toString(), "-C", unpacked.toString()));
    assertThat(tar.exit()).as(tar.output()).isZero();
    try (Stream<Path> dirs = Files.list(unpacked)) {
      home = dirs.findFirst().orElseThrow();
    }
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

  private record Result(int exit, String output) {}

  private static Result run(List<String> command) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true);
    String javaHome = System.getProperty("java.home");
    builder.environment().put("JAVA_HOME", javaHome);
    File log = Files.createTempFile("distribution-it", ".log").toFile();
    builder.redirectOutput(log);
    Process process = builder.start();
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("timed out: " + command);
    }
    return new Result(process.exitValue(), Files.readString(log.toPath(), StandardCharsets.UTF_8));
  }
}
