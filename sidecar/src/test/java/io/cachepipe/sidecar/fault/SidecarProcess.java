package io.cachepipe.sidecar.fault;

import static org.awaitility.Awaitility.await;

import io.cachepipe.servers.ExitWithParent;
import io.cachepipe.sidecar.Main;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code cachepipe run --config FILE} in a JVM of its own, as an operator runs it, so that a test
 * can kill it with SIGKILL. Its class path is this test JVM's (the sidecar's jar may not be
 * packaged yet when Failsafe runs), and it exits if this JVM dies ({@link ExitWithParent}). Its
 * output goes to a log file that survives restarts.
 */
final class SidecarProcess {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Path config;
  private final Path log;
  private final int adminPort;
  private final List<String> jvmOptions;
  private final List<String> runOptions;
  private Process process;
  private int starts;

  SidecarProcess(Path config, Path log, int adminPort, List<String> jvmOptions) {
    this(config, log, adminPort, jvmOptions, List.of());
  }

  /**
   * @param runOptions options of {@code run} after {@code --config FILE}, e.g. {@code --stages cdc}
   */
  SidecarProcess(
      Path config, Path log, int adminPort, List<String> jvmOptions, List<String> runOptions) {
    this.config = config;
    this.log = log;
    this.adminPort = adminPort;
    this.jvmOptions = List.copyOf(jvmOptions);
    this.runOptions = List.copyOf(runOptions);
  }

  /** Starts a new process; the previous one must be gone. */
  synchronized void start() throws IOException {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("the sidecar still runs: pid " + process.pid());
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(
        List.of(
            ExitWithParent.class.getName(),
            Main.class.getName(),
            "run",
            "--config",
            config.toString()));
    command.addAll(runOptions);
    starts++;
    Files.writeString(
        log,
        "==== start " + starts + ": " + String.join(" ", command) + System.lineSeparator(),
        java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    // The class path through the environment: it may be longer than one argument may be.
    builder.environment().put("CLASSPATH", System.getProperty("java.class.path"));
    process = builder.start();
  }

  /** Waits until {@code /health/ready} answers 200: every stage runs and Redis answers. */
  void awaitReady(Duration timeout) {
    await("the sidecar is ready (see " + log + ")")
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(250))
        .until(
            () -> {
              if (!isAlive()) {
                throw new IllegalStateException(
                    "the sidecar exited with " + process.exitValue() + "; see " + log);
              }
              return status("/health/ready") == 200;
            });
  }

  synchronized boolean isAlive() {
    return process != null && process.isAlive();
  }

  synchronized long pid() {
    return process.pid();
  }

  /** SIGKILL: no shutdown hook, no final commit, no graceful close of anything. */
  synchronized void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the sidecar survived SIGKILL: pid " + process.pid());
    }
  }

  /** SIGTERM, then SIGKILL if it has not stopped within 30 s. */
  synchronized void stop() throws InterruptedException {
    if (process == null || !process.isAlive()) {
      return;
    }
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      kill();
    }
  }

  /** The admin port's Prometheus text. */
  String metrics() throws IOException, InterruptedException {
    return get("/metrics").body();
  }

  /**
   * The sum of the samples of counter or gauge {@code name} whose labels contain every one of
   * {@code labels} (e.g. {@code stage="invalidator"}); 0 if there is none.
   */
  double metric(String name, String... labels) throws IOException, InterruptedException {
    double sum = 0;
    Pattern sample = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*\\})? (\\S+)$");
    for (String line : metrics().split("\n")) {
      Matcher m = sample.matcher(line);
      if (m.matches() && containsAll(m.group(1), labels)) {
        sum += Double.parseDouble(m.group(2));
      }
    }
    return sum;
  }

  /** Lines of the log (of every start) that contain {@code text}. */
  long logLinesContaining(String text) throws IOException {
    try (var lines = Files.lines(log)) {
      return lines.filter(l -> l.contains(text)).count();
    }
  }

  Path log() {
    return log;
  }

  private static boolean containsAll(String labelBlock, String... labels) {
    for (String label : labels) {
      if (labelBlock == null || !labelBlock.contains(label)) {
        return false;
      }
    }
    return true;
  }

  private int status(String path) {
    try {
      return get(path).statusCode();
    } catch (IOException e) {
      return -1; // not listening yet
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
