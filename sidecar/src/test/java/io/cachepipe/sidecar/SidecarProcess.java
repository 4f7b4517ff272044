package io.cachepipe.sidecar;

import static org.awaitility.Awaitility.await;

import io.cachepipe.servers.ExitWithParent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The cachepipe command line in a JVM of its own, as an operator runs it, so that a test can stop
 * it with SIGTERM or kill it with SIGKILL, and start it again. Its class path is this test JVM's
 * (the sidecar's jar may not be packaged yet when Failsafe runs), passed in the environment (it may
 * be longer than one argument may be), and it exits if this JVM dies ({@link ExitWithParent}). Its
 * stdout and stderr go to two files that every start appends to, each start marked in the stderr
 * file (its log).
 */
public final class SidecarProcess {

  /**
   * An operator's short run: C1 only, a sidecar's heap, the shipped logback.xml (not the tests').
   */
  private static final List<String> OPERATOR_JVM =
      List.of("-XX:TieredStopAtLevel=1", "-Xmx384m", "-Dlogback.configurationFile=logback.xml");

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** What a finished process printed, and its exit code. */
  public record Result(int exit, String out, String err) {
    /** Everything it wrote. */
    public String all() {
      return out + err;
    }
  }

  private final List<String> command;
  private final Map<String, String> env;
  private final Path out;
  private final Path err;
  private final int adminPort;
  private Process process;
  private int starts;
  private long outFrom;
  private long errFrom;

  private SidecarProcess(
      List<String> jvmOptions,
      Map<String, String> env,
      List<String> args,
      Path out,
      Path err,
      int adminPort) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add(ExitWithParent.class.getName());
    command.add(Main.class.getName());
    command.addAll(args);
    this.command = List.copyOf(command);
    this.env = Map.copyOf(env);
    this.out = out;
    this.err = err;
    this.adminPort = adminPort;
  }

  /**
   * Starts {@code cachepipe args} as an operator would, with {@code env} on top of this JVM's
   * environment and its output in new files in {@code dir}.
   */
  public static SidecarProcess start(Path dir, Map<String, String> env, String... args)
      throws IOException {
    Files.createDirectories(dir);
    SidecarProcess p =
        new SidecarProcess(
            OPERATOR_JVM,
            env,
            List.of(args),
            Files.createTempFile(dir, "stdout-", ".txt"),
            Files.createTempFile(dir, "stderr-", ".txt"),
            0);
    p.start();
    return p;
  }

  /**
   * Runs {@code cachepipe args} as {@link #start} does, to its end, or fails after {@code timeout}.
   */
  public static Result run(Path dir, Map<String, String> env, Duration timeout, String... args)
      throws Exception {
    SidecarProcess p = start(dir, env, args);
    if (!p.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.process.destroyForcibly();
      throw new AssertionError(
          "cachepipe " + String.join(" ", args) + " still runs after " + timeout + ": " + p.err());
    }
    return p.result();
  }

  /**
   * {@code cachepipe args} in JVMs with {@code jvmOptions}, not started yet: its log (stderr) in
   * {@code dir/name.log}, its stdout in {@code dir/name.out}, its admin port on {@code adminPort}.
   */
  public static SidecarProcess named(
      Path dir, String name, int adminPort, List<String> jvmOptions, List<String> args) {
    return new SidecarProcess(
        jvmOptions,
        Map.of(),
        args,
        dir.resolve(name + ".out"),
        dir.resolve(name + ".log"),
        adminPort);
  }

  /** Starts a new process; the previous one must be gone. */
  public synchronized void start() throws IOException {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("the sidecar still runs: pid " + process.pid());
    }
    starts++;
    Files.writeString(
        err,
        "==== start " + starts + ": " + String.join(" ", command) + System.lineSeparator(),
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    Files.writeString(out, "", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    outFrom = Files.size(out);
    errFrom = Files.size(err);
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
            .redirectError(ProcessBuilder.Redirect.appendTo(err.toFile()));
    builder.environment().putAll(env);
    builder.environment().put("CLASSPATH", System.getProperty("java.class.path"));
    process = builder.start();
  }

  /** Waits until {@code /health/ready} answers 200: every stage runs and Redis answers. */
  public void awaitReady(Duration timeout) {
    await("the sidecar is ready (see " + err + ")")
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(250))
        .until(
            () -> {
              if (!isAlive()) {
                throw new IllegalStateException(
                    "the sidecar exited with " + process.exitValue() + "; see " + err);
              }
              return status("/health/ready") == 200;
            });
  }

  public synchronized boolean isAlive() {
    return process != null && process.isAlive();
  }

  public synchronized long pid() {
    return process.pid();
  }

  /** SIGKILL, as a crash would: no shutdown hook, no final commit, no graceful close. */
  public synchronized void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the sidecar survived SIGKILL: pid " + process.pid());
    }
  }

  /** SIGTERM, as an operator would, then SIGKILL after {@code timeout}; what this start printed. */
  public synchronized Result stop(Duration timeout) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor();
    }
    return result();
  }

  /** What this start wrote to stdout and stderr so far (its log lines among them). */
  public String output() {
    return read(out, outFrom) + read(err, errFrom);
  }

  /** What this start wrote to stderr so far. */
  public String err() {
    return read(err, errFrom);
  }

  /** Lines of the output of every start that contain {@code text}. */
  public long logLinesContaining(String text) throws IOException {
    long count = 0;
    for (Path file : List.of(out, err)) {
      try (Stream<String> lines = Files.lines(file)) {
        count += lines.filter(l -> l.contains(text)).count();
      }
    }
    return count;
  }

  /** The log: stderr of every start (stdout is beside it). */
  public Path log() {
    return err;
  }

  /** The admin port's Prometheus text. */
  public String metrics() throws IOException, InterruptedException {
    return get("/metrics").body();
  }

  /**
   * The sum of the samples of counter or gauge {@code name} whose labels contain every one of
   * {@code labels} (e.g. {@code stage="invalidator"}); 0 if there is none.
   */
  public double metric(String name, String... labels) throws IOException, InterruptedException {
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

  private synchronized Result result() {
    return new Result(process.exitValue(), read(out, outFrom), read(err, errFrom));
  }

  private static String read(Path file, long from) {
    try {
      byte[] bytes = Files.readAllBytes(file);
      return new String(bytes, (int) from, bytes.length - (int) from, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean containsAll(String labelBlock, String... labels) {
    for (String label : labels) {
      if (labelBlock == null || !labelBlock.contains(label)) {
        return false;
      }
    }
    return true;
  }

  /** The status code of {@code GET path} on the admin port; -1 when it does not answer. */
  public int status(String path) {
    return answer(path).status();
  }

  /** An answer of the admin port: its status code (-1: none) and body (empty: none). */
  public record Answer(int status, String body) {}

  /** The status code and body of {@code GET path} on the admin port; -1 when it does not answer. */
  public Answer answer(String path) {
    try {
      HttpResponse<String> response = get(path);
      return new Answer(response.statusCode(), response.body());
    } catch (IOException e) {
      return new Answer(-1, ""); // not listening yet
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Answer(-1, "");
    }
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    if (adminPort == 0) {
      throw new IllegalStateException("no admin port was given for " + String.join(" ", command));
    }
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
