package io.cachepipe.sidecar;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.client.CacheClient;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The reference Python client ({@code clients/python}) against the real pipeline: this starts
 * PostgreSQL, Kafka, Redis and every stage, then runs the client's whole pytest suite with their
 * addresses in {@code CACHEPIPE_PY_*} environment variables. Its race tests have Python readers
 * racing writers through the pipeline, with fences on (no stale entry may survive) and off (stale
 * entries must be left, or the race proves nothing); its other tests start their own redis-server.
 *
 * <p>Fails if pytest fails, or skips or misses any test, and prints pytest's output. Debian's
 * {@code /usr/bin/python3} with {@code python3-redis}, {@code python3-psycopg} and {@code
 * python3-pytest} is required ({@code .ci/run} installs them); {@code -Dcachepipe.python=...} names
 * another interpreter.
 */
class PythonClientIT {

  private static final String PYTHON = System.getProperty("cachepipe.python", "/usr/bin/python3");
  private static final Path CLIENT =
      Path.of("..", "clients", "python").toAbsolutePath().normalize();
  private static final long PYTEST_MINUTES = 10;

  /** The race tests, which must have run (not been skipped) besides the redis-only ones. */
  private static final List<String> PIPELINE_TESTS =
      List.of(
          "test_with_fences_no_stale_entry_survives_python_readers_racing_writers",
          "test_without_fences_the_same_race_leaves_stale_entries",
          "test_a_read_after_a_write_sees_it_through_the_pipeline");

  @Test
  void pythonReadersRacingWritersThroughThePipelineLeaveNoStaleEntryWithFencesOnly()
      throws Exception {
    assertPythonIsThere();
    Database db = TestServers.postgres().createDatabase("python_client_it");
    TestServers.redis().flushAll();
    Settings settings = PipelineTestSettings.of(db, "python-client-it");

    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    try (Pipeline pipeline =
        Pipeline.start(settings, SidecarConfig.validate(settings), failure::complete)) {
      pipeline.capture().awaitStarted(StageRestarts.STAGE_START);
      pipeline.awaitReady(StageRestarts.STAGE_START);

      Path report = Files.createTempFile("pytest-python-client-it", ".xml");
      Map<String, String> env =
          Map.of(
              "CACHEPIPE_PY_PG_DSN",
              "host=%s port=%d dbname=%s user=%s password=%s"
                  .formatted(db.host(), db.port(), db.name(), db.user(), db.password()),
              "CACHEPIPE_PY_REDIS_URL",
              TestServers.redis().uri(),
              "CACHEPIPE_PY_REDIS_PASSWORD",
              TestServers.redis().password().orElse(""));
      Run pytest =
          run(
              env,
              PYTHON,
              "-m",
              "pytest",
              "-v",
              "-rA",
              "-p",
              "no:cacheprovider",
              "--junitxml=" + report,
              "tests");

      assertThat(pytest.exitCode())
          .as("pytest's exit code; its output:%n%s", pytest.output)
          .isZero();
      String junit = Files.readString(report);
      assertThat(count(junit, "skipped"))
          .as("tests pytest skipped (run with every server)%n%s", pytest.output)
          .isZero();
      assertThat(count(junit, "tests")).as("tests pytest ran").isGreaterThan(PIPELINE_TESTS.size());
      for (String test : PIPELINE_TESTS) {
        assertThat(junit).as("pytest ran %s", test).contains("name=\"" + test + "\"");
      }
      assertThat(failure).as("no stage failed").isNotDone();
      assertJavaReadsThePythonClientsEntry();
    }
  }

  /**
   * The two clients share entries: the one the read-your-writes test filled from Python is a hit
   * for the Java client.
   */
  private static void assertJavaReadsThePythonClientsEntry() {
    try (CacheClient cache = CacheClient.create(TestServers.redis().uri())) {
      String name =
          cache.get(
              CacheKeys.entry("py_user_name", 301),
              List.of("user:301"),
              Duration.ofHours(1),
              () -> "a miss",
              String.class);
      assertThat(name).as("the Java client's read of the Python client's entry").isEqualTo("after");
    }
  }

  /** Fails with what to install unless the interpreter and its three packages are there. */
  private static void assertPythonIsThere() throws Exception {
    String install =
        "the Python client's tests need Debian's python3 with its packages:"
            + " apt-get install -y python3-redis python3-psycopg python3-pytest"
            + " (or name an interpreter that has them with -Dcachepipe.python=...)";
    assertThat(Path.of(PYTHON)).as("%s is missing; %s", PYTHON, install).isExecutable();
    Run check = run(Map.of(), PYTHON, "-c", "import redis, psycopg, pytest");
    assertThat(check.exitCode()).as("%s: %s%n%s", PYTHON, install, check.output).isZero();
  }

  /** What a finished process printed (stdout and stderr) and its exit code. */
  private record Run(int exitCode, String output) {}

  /** Runs a command in {@code clients/python}, echoing each line of its output as it comes. */
  private static Run run(Map<String, String> env, String... command)
      throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).directory(CLIENT.toFile());
    builder.environment().putAll(env);
    builder.redirectErrorStream(true);
    Process process = builder.start();
    List<String> lines = new ArrayList<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader out =
                  new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                  System.out.println("pytest: " + line);
                  synchronized (lines) {
                    lines.add(line);
                  }
                }
              } catch (IOException e) {
                // the process died: its exit code tells
              }
            },
            "python-output");
    reader.start();
    if (!process.waitFor(PYTEST_MINUTES, TimeUnit.MINUTES)) {
      System.out.println("pytest: killed after " + PYTEST_MINUTES + " minutes");
      process.destroyForcibly().waitFor();
    }
    reader.join(TimeUnit.SECONDS.toMillis(10));
    synchronized (lines) {
      String output = String.join("\n", lines);
      return new Run(process.exitValue(), output);
    }
  }

  /** The number in the first {@code name="N"} attribute of pytest's JUnit report (0 if none). */
  private static int count(String junit, String attribute) {
    Matcher m = Pattern.compile("\\b" + attribute + "=\"(\\d+)\"").matcher(junit);
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }
}
