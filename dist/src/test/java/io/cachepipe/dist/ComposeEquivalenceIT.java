package io.cachepipe.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.client.CacheClient;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.servers.ChildOutput;
import io.cachepipe.servers.ChildProcess;
import io.cachepipe.servers.ChildProcesses;
import io.cachepipe.servers.FreePort;
import io.cachepipe.servers.LocalPostgres;
import io.cachepipe.servers.LocalRedis;
import io.cachepipe.testing.RawHttp;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code docker-compose up} from nothing, without Docker: docker-compose.yml is read, local servers
 * stand in for its postgres (with the service's own server settings and database), kafka and redis
 * services, and each of its own services runs its command with its environment, in the order of its
 * {@code depends_on}: the schema step (with this machine's psql), then the sidecar (the archive's
 * bin/cachepipe, the image's entry point) and the workload. The stack ends ready, with the
 * workload's commits evicted and the admin port's metrics behind the Compose secret's token.
 *
 * <p>What is mapped, as Docker maps it: each service's {@code host:port} to the local server's
 * address, mounted files and secrets to the repository's files, the image's /opt/cachepipe to the
 * unpacked archive, its JRE to this JVM's, its fresh /tmp to a fresh directory, and the published
 * admin port 9400 to a free port.
 */
class ComposeEquivalenceIT {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Duration READY_WITHIN = Duration.ofSeconds(90);

  @TempDir Path dir;

  @Test
  void composeUpFromNothingAppliesTheSchemaRunsTheWorkloadAndEvicts() throws Exception {
    ComposeStack stack = ComposeStack.read(ROOT);
    Map<String, String> postgresEnv = stack.environment("postgres");
    List<ChildProcess> running = new ArrayList<>();
    try (LocalPostgres postgres = LocalPostgres.start(stack.postgresSettings("postgres"));
        LocalRedis redis = LocalRedis.start()) {
      assertThat(postgresEnv.get("POSTGRES_USER")).isEqualTo(postgres.user());
      postgres.createDatabase(postgresEnv.get("POSTGRES_DB"));
      stack.mapAddress("postgres", "127.0.0.1:" + postgres.port());
      stack.mapAddress("kafka", TestServers.kafka().bootstrapServers());
      stack.mapAddress("redis", "127.0.0.1:" + redis.port());
      List.of("schema", "cachepipe", "workload").forEach(stack::mapMounts);

      ChildProcess schema = start(stack, "schema", stack.command("schema"), Map.of());
      assertThat(schema.awaitExit(Duration.ofSeconds(60))).as(schema.outputTail(20)).isTrue();
      assertThat(schema.exitValue()).as(schema.outputTail(20)).hasValue(0);
      assertThat(schema.outputTail(5)).contains("schema: applied the example schema");

      int adminPort = FreePort.pick();
      List<String> sidecar = new ArrayList<>(stack.entrypoint("cachepipe", UnpackedArchive.home()));
      sidecar.addAll(stack.command("cachepipe"));
      running.add(
          start(
              stack,
              "cachepipe",
              sidecar,
              Map.of(
                  "JAVA_HOME", System.getProperty("java.home"),
                  "CACHEPIPE_OPTS", "-Djava.io.tmpdir=" + Files.createDirectory(dir.resolve("tmp")),
                  "CACHEPIPE_ADMIN_PORT", Integer.toString(adminPort))));
      running.add(start(stack, "workload", stack.command("workload"), Map.of()));

      awaitReady(running, adminPort);
      awaitAWorkloadCommitEvicted(running, redis.uri());
      String token = Files.readString(ROOT.resolve("deploy/compose-admin-token")).strip();
      assertThat(get(adminPort, "/metrics", null).statusCode()).isEqualTo(401);
      HttpResponse<String> metrics = get(adminPort, "/metrics", token);
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).contains("cachepipe_cdc_changes_total{table=\"public.users\"}");
      String bearer = "Bearer " + token;
      assertThat(RawHttp.get(adminPort, "/metrics", "cachepipe:9400", bearer))
          .as("Prometheus scraping the service by its name")
          .startsWith("HTTP/1.1 200");
      assertThat(RawHttp.get(adminPort, "/metrics", "rebind.attacker.example:9400", bearer))
          .as("a page that rebinds its own name to the published port, with the stack's token")
          .startsWith("HTTP/1.1 403");
      assertThat(running.get(0).outputTail(200))
          .doesNotContain("does not exist", "Exception", " ERROR ");
    } finally {
      running.forEach(ChildProcess::stop);
    }
  }

  @Test
  void prometheusScrapesTheSidecarsPortWithTheSameSecret() throws Exception {
    ComposeStack stack = ComposeStack.read(ROOT);
    String prometheus = Files.readString(ROOT.resolve("deploy/prometheus.yml"));

    assertThat(stack.service("prometheus").path("secrets").toString())
        .isEqualTo(stack.service("cachepipe").path("secrets").toString());
    assertThat(prometheus)
        .contains("credentials_file: /run/secrets/admin_token")
        .contains("\"cachepipe:" + stack.containerPort("cachepipe") + "\"");
    assertThat(stack.environment("cachepipe"))
        .containsEntry("CACHEPIPE_ADMIN_TOKEN_FILE", "/run/secrets/admin_token");
  }

  /** Starts {@code command} with {@code service}'s environment, {@code extra} on top. */
  private ChildProcess start(
      ComposeStack stack, String service, List<String> command, Map<String, String> extra) {
    ProcessBuilder builder = new ProcessBuilder(command);
    // A container's environment is its service's, not this JVM's.
    builder.environment().clear();
    builder.environment().put("PATH", System.getenv("PATH"));
    builder.environment().putAll(stack.environment(service));
    builder.environment().putAll(extra);
    return ChildProcesses.start(
        "compose-" + service, builder, ChildOutput.toFile(dir.resolve(service + ".log")));
  }

  private static void awaitReady(List<ChildProcess> running, int adminPort) {
    await("the sidecar is ready (see its log)")
        .atMost(READY_WITHIN)
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .until(
            () -> {
              for (ChildProcess p : running) {
                assertThat(p.isAlive()).as(p + " runs: " + p.outputTail(30)).isTrue();
              }
              return get(adminPort, "/health/ready", null).statusCode() == 200;
            });
  }

  /** The workload touches user 1 every second: an entry tagged user:1 is evicted. */
  private static void awaitAWorkloadCommitEvicted(List<ChildProcess> running, String redisUri) {
    RedisClient inspector = RedisClient.create(redisUri);
    try (CacheClient cache = CacheClient.create(redisUri);
        StatefulRedisConnection<String, String> redis = inspector.connect()) {
      String key = CacheKeys.entry("user", 1);
      await("a workload commit evicts " + key)
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                assertThat(running.get(0).isAlive()).isTrue();
                cache.get(
                    key, List.of("user:1"), Duration.ofHours(1), () -> Map.of("id", 1), Map.class);
                try {
                  await().atMost(Duration.ofSeconds(5)).until(() -> redis.sync().exists(key) == 0);
                  return true;
                } catch (ConditionTimeoutException notYet) {
                  return false;
                }
              });
    } finally {
      inspector.shutdown();
    }
  }

  private static HttpResponse<String> get(int port, String path, String token) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(5));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
