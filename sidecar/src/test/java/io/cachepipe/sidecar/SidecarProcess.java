package io.cachepipe.sidecar;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The cachepipe command line in a JVM of its own, as an operator runs it: the shipped logback.xml
 * (not the tests'), stdout and stderr captured apart.
 */
final class SidecarProcess {

  /** What a finished process printed, and its exit code. */
  record Result(int exit, String out, String err) {
    /** Everything it wrote. */
    String all() {
      return out + err;
    }
  }

  private final Process process;
  private final Path out;
  private final Path err;

  private SidecarProcess(Process process, Path out, Path err) {
    this.process = process;
    this.out = out;
    this.err = err;
  }

  /** Starts {@code cachepipe args} with {@code env} on top of this JVM's environment. */
  static SidecarProcess start(Path dir, Map<String, String> env, String... args)
      throws IOException {
    Files.createDirectories(dir);
    Path out = Files.createTempFile(dir, "stdout-", ".txt");
    Path err = Files.createTempFile(dir, "stderr-", ".txt");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-Xmx384m");
    // A resource name: the shipped logback.xml, wherever it is (classes or the jar).
    command.add("-Dlogback.configurationFile=logback.xml");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Main.class.getName());
    command.addAll(List.of(args));
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    builder.environment().putAll(env);
    return new SidecarProcess(builder.start(), out, err);
  }

  /** Runs {@code cachepipe args} to its end, or fails after {@code timeout}. */
  static Result run(Path dir, Map<String, String> env, Duration timeout, String... args)
      throws Exception {
    SidecarProcess p = start(dir, env, args);
    if (!p.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.process.destroyForcibly();
      throw new AssertionError(
          "cachepipe " + String.join(" ", args) + " still runs after " + timeout + ": " + p.err());
    }
    return p.result();
  }

  /** Stops the process with SIGTERM, as an operator would, and returns what it printed. */
  Result stop(Duration timeout) throws Exception {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor();
    }
    return result();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Kills the process with SIGKILL, as a crash would, and waits for it to end. */
  void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  /** What it wrote to stdout and stderr so far (its log lines among them). */
  String output() throws IOException {
    return Files.readString(out, StandardCharsets.UTF_8)
        + Files.readString(err, StandardCharsets.UTF_8);
  }

  /** What it wrote to stderr so far. */
  String err() throws IOException {
    return Files.readString(err, StandardCharsets.UTF_8);
  }

  private Result result() throws IOException {
    return new Result(
        process.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }
}
