package io.cachepipe.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repository's own {@code ./cachepipe}, run in a copy of the tree it expects: a built
 * bench/target holding the jars of two versions, and a {@code java} that prints the arguments it
 * was given instead of starting a JVM. Nothing is built: the build stamp is newer than every
 * source.
 */
class RootLauncherTest {

  private static final Path SCRIPT = Path.of("..", "cachepipe").toAbsolutePath().normalize();

  @TempDir Path tree;
  private Path javaHome;
  private Path target;

  @BeforeEach
  void aBuiltTreeOfVersion2() throws IOException {
    Files.copy(SCRIPT, tree.resolve("cachepipe"));
    executable(tree.resolve("cachepipe"));
    target = Files.createDirectories(tree.resolve("bench/target"));
    // An earlier version's jar is still there, listed before the current one.
    Files.writeString(target.resolve("cachepipe-bench-0.9.0.jar"), "");
    Files.writeString(target.resolve("cachepipe-bench-1.0.0.jar"), "");
    Files.createDirectories(target.resolve("maven-archiver"));
    Files.writeString(
        target.resolve("maven-archiver/pom.properties"),
        "artifactId=cachepipe-bench\ngroupId=io.cachepipe\nversion=1.0.0\n");
    Files.writeString(target.resolve(".cachepipe-built"), "");
    javaHome = Files.createDirectories(tree.resolve("jdk/bin")).getParent();
    Path java = javaHome.resolve("bin/java");
    Files.writeString(java, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n");
    executable(java);
  }

  @Test
  void runsTheJarOfTheBuiltVersionWithTheDefaultHeap() throws Exception {
    List<String> args = launch(Map.of(), "config", "--print");

    assertThat(args)
        .containsExactly(
            "-Xmx384m",
            "-cp",
            target.resolve("cachepipe-bench-1.0.0.jar") + ":" + target.resolve("lib") + "/*",
            "io.cachepipe.sidecar.Main",
            "config",
            "--print");
  }

  @Test
  void cachepipeOptsComeAfterTheDefaultsSoALaterXmxWinsAndAreNeverGlobExpanded() throws Exception {
    // A file an unquoted -Dglob=* would expand to.
    Files.writeString(tree.resolve("-Dglob=oops"), "");

    List<String> args = launch(Map.of("CACHEPIPE_OPTS", " -Xmx1g   -Dglob=* "), "--version");

    assertThat(args.subList(0, 3)).containsExactly("-Xmx384m", "-Xmx1g", "-Dglob=*");
    assertThat(args).endsWith("io.cachepipe.sidecar.Main", "--version");
  }

  @Test
  void theDemoRunsWithC1AndTheBenchmarksWithFullJit() throws Exception {
    assertThat(launch(Map.of(), "demo")).startsWith("-Xmx384m", "-XX:TieredStopAtLevel=1");
    assertThat(launch(Map.of(), "bench", "latency"))
        .startsWith("-Xmx384m", "-Dcachepipe.local.kafka.full.jit=true");
  }

  private List<String> launch(Map<String, String> env, String... args) throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(
                java.util.stream.Stream.concat(
                        java.util.stream.Stream.of(tree.resolve("cachepipe").toString()),
                        java.util.stream.Stream.of(args))
                    .toList())
            .directory(tree.toFile())
            .redirectErrorStream(true);
    builder.environment().remove("CACHEPIPE_OPTS");
    builder.environment().put("JAVA_HOME", javaHome.toString());
    builder.environment().putAll(env);
    Process process = builder.start();
    byte[] out = process.getInputStream().readAllBytes();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String output = new String(out, StandardCharsets.UTF_8);
    assertThat(process.exitValue()).as(output).isZero();
    return output.lines().toList();
  }

  private static void executable(Path file) throws IOException {
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }
}
