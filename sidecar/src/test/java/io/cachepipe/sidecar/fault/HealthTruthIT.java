package io.cachepipe.sidecar.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.json.Json;
import io.cachepipe.core.kafka.KafkaClients;
import io.cachepipe.sidecar.HeadlessChromium;
import io.cachepipe.sidecar.Pipeline;
import io.cachepipe.sidecar.SidecarConfig;
import io.cachepipe.sidecar.admin.AdminConfig;
import io.cachepipe.sidecar.admin.AdminPort;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import io.cachepipe.warmer.WarmerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Health never lies: a capture engine that dies after it streamed turns readiness and liveness to
 * 503 within seconds, naming cdc and the reason, and the stage gauge to 0; one that cannot hand a
 * change over (Kafka gone) is reported stalled while it lasts, and ready again after.
 */
class HealthTruthIT {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Duration WITHIN_SECONDS = Duration.ofSeconds(10);

  private final HttpClient http = HttpClient.newHttpClient();
  private final CompletableFuture<Throwable> failure = new CompletableFuture<>();
  private Pipeline pipeline;
  private AdminPort admin;

  /** Stops the pipeline, while its Kafka is up: closing the engine's offset store needs it. */
  @AfterEach
  void stop() {
    if (admin != null) {
      admin.close();
      admin = null;
    }
    if (pipeline != null) {
      pipeline.close();
      pipeline = null;
    }
  }

  @Test
  void aCaptureEngineThatDiesAfterStreamingTurnsReadyAndLive503NamingCdcAndWhy() throws Exception {
    Database db = TestServers.postgres().createDatabase("health_truth_it");
    Settings settings =
        PipelineTestSettings.of(db, "health")
            .with(SidecarConfig.STAGES.name(), "cdc")
            // No reconnect: the engine ends on the first lost replication connection.
            .with("debezium.source.errors.max.retries", "0")
            .with(AdminConfig.PORT.name(), "0")
            .with(AdminConfig.PROBE_INTERVAL.name(), "500");
    startPipeline(settings);
    assertThat(get("/health/ready").statusCode()).isEqualTo(200);
    assertThat(get("/health/live").statusCode()).isEqualTo(200);
    assertThat(value(get("/metrics").body(), "cachepipe_stage_up{stage=\"cdc\"}")).isEqualTo(1);

    // The engine says it streams once its task started; its replication connection opens after.
    String slot = settings.get(io.cachepipe.cdc.CdcConfig.SLOT);
    AtomicReference<Integer> walsender = new AtomicReference<>();
    await("the slot in use by the capture")
        .atMost(WITHIN_SECONDS)
        .until(
            () -> {
              walsender.set(activeSlotPid(db, slot));
              return walsender.get() != null;
            });
    assertThat(terminate(db, walsender.get())).as("walsender %s terminated", walsender).isTrue();

    await("readiness says cdc is down").atMost(WITHIN_SECONDS).until(() -> failure.isDone());
    await("readiness says cdc is down")
        .atMost(WITHIN_SECONDS)
        .until(() -> get("/health/ready").statusCode() == 503);
    JsonNode ready = Json.mapper().readTree(get("/health/ready").body());
    assertThat(ready.get("failing").toString()).contains("\"cdc\"");
    JsonNode cdc = ready.get("parts").get("cdc");
    assertThat(cdc.get("state").asText()).isEqualTo("failed");
    assertThat(cdc.get("reason").asText()).contains("capture engine stopped");
    HttpResponse<String> live = get("/health/live");
    assertThat(live.statusCode()).isEqualTo(503);
    assertThat(Json.mapper().readTree(live.body()).get("dead").has("cdc")).isTrue();
    assertThat(value(get("/metrics").body(), "cachepipe_stage_up{stage=\"cdc\"}")).isEqualTo(0);
    assertStatusPageShowsNotReady("cdc", "capture engine stopped");
  }

  /**
   * A poll loop that dies (here the warmer's: a second consumer took its static group membership,
   * so Kafka fences it for good) turns readiness and liveness to 503 naming the warmer and why: the
   * consumer is still "assigned" the partitions it had, which alone would have said ready.
   */
  @Test
  void aWarmerWhosePollLoopDiesTurnsReadyAndLive503NamingTheWarmerAndWhy() throws Exception {
    Database db = TestServers.postgres().createDatabase("health_truth_warmer_it");
    Settings settings =
        PipelineTestSettings.of(db, "health-warmer")
            .with(SidecarConfig.STAGES.name(), "warmer")
            .with("kafka.consumer.group.instance.id", "warmer-1")
            .with(AdminConfig.PORT.name(), "0")
            .with(AdminConfig.PROBE_INTERVAL.name(), "500");
    startPipeline(settings);
    await("ready").atMost(WAIT).until(() -> get("/health/ready").statusCode() == 200);

    Map<String, Object> twin = new HashMap<>(KafkaClients.shared(settings));
    twin.put("group.id", WarmerConfig.from(settings).groupId());
    twin.put("group.instance.id", "warmer-1");
    try (KafkaConsumer<byte[], byte[]> impostor =
        new KafkaConsumer<>(twin, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      impostor.subscribe(List.of(Topics.from(settings).evictions()));
      await("the warmer's loop fenced and dead")
          .atMost(WAIT)
          .until(
              () -> {
                impostor.poll(Duration.ofMillis(200));
                return pipeline.warmer().failure() != null;
              });
    }

    await("readiness says the warmer is dead")
        .atMost(WITHIN_SECONDS)
        .until(() -> get("/health/ready").statusCode() == 503);
    JsonNode warmer =
        Json.mapper().readTree(get("/health/ready").body()).get("parts").get("warmer");
    assertThat(warmer.get("reason").asText())
        .startsWith("the warmer stopped: ")
        .contains("the same group.instance.id");
    HttpResponse<String> live = get("/health/live");
    assertThat(live.statusCode()).isEqualTo(503);
    assertThat(Json.mapper().readTree(live.body()).get("dead").has("warmer")).isTrue();
    assertThat(value(get("/metrics").body(), "cachepipe_stage_up{stage=\"warmer\"}")).isZero();
    assertThat(failure).as("the sidecar was told, to end the process").isDone();
    assertStatusPageShowsNotReady("warmer", "the warmer stopped");
  }

  @Test
  void aCaptureThatCannotHandAChangeOverIsReportedStalledWhileItLastsThenReadyAgain()
      throws Exception {
    try (FaultServers servers = FaultServers.start()) {
      try {
        stalledWhileKafkaIsAway(servers);
      } finally {
        stop(); // before the servers go: closing the engine's offset store needs its Kafka
      }
    }
  }

  private void stalledWhileKafkaIsAway(FaultServers servers) throws Exception {
    start(
        servers,
        Map.of(
            "cachepipe.cdc.slot.name",
            "stall",
            SidecarConfig.STAGES.name(),
            "cdc",
            "cachepipe.cdc.heartbeat.interval.ms",
            "500",
            AdminConfig.STALL.name(),
            "2000"));
    await("ready").atMost(WITHIN_SECONDS).until(() -> get("/health/ready").statusCode() == 200);

    servers.kafka.stopBroker();
    sql(servers, "INSERT INTO users (id, name, email) VALUES (1, 'a', 'a@x')");

    await("readiness reports the stall")
        .atMost(Duration.ofSeconds(20))
        .until(() -> get("/health/ready").statusCode() == 503);
    JsonNode cdc = Json.mapper().readTree(get("/health/ready").body()).get("parts").get("cdc");
    assertThat(cdc.get("state").asText()).isEqualTo("stalled");
    assertThat(cdc.get("reason").asText()).contains("handed over no record");
    assertThat(get("/health/live").statusCode()).as("stalled, not dead").isEqualTo(200);
    assertThat(value(get("/metrics").body(), "cachepipe_stage_up{stage=\"cdc\"}")).isEqualTo(0);

    servers.kafka.restart();
    await("ready again once Kafka is back")
        .atMost(WAIT)
        .until(() -> get("/health/ready").statusCode() == 200);
    assertThat(failure).isNotDone();

    // A SIGTERM while Kafka is gone: the capture must not wait for it (PipelineStopIT has why the
    // limit is what it is).
    servers.kafka.stopBroker();
    sql(servers, "INSERT INTO users (id, name, email) VALUES (3, 'c', 'c@x')");
    CompletableFuture<Void> closing = CompletableFuture.runAsync(this::stop);
    await("the pipeline closes with Kafka gone")
        .atMost(Duration.ofSeconds(20))
        .until(closing::isDone);
  }

  /**
   * An eviction step that keeps retrying Redis is reported under the invalidator, with why: not
   * only as Redis's own failed PING, which says nothing of the work held up behind it.
   */
  @Test
  void anEvictionStepRetryingRedisMakesTheInvalidatorNotReadyWithWhy() throws Exception {
    try (FaultServers servers = FaultServers.start()) {
      try {
        evictionHeldUpWhileRedisIsAway(servers);
      } finally {
        stop();
      }
    }
  }

  private void evictionHeldUpWhileRedisIsAway(FaultServers servers) throws Exception {
    start(
        servers,
        Map.of("cachepipe.cdc.slot.name", "held", SidecarConfig.STAGES.name(), "cdc,invalidator"));
    await("ready").atMost(WAIT).until(() -> get("/health/ready").statusCode() == 200);

    servers.redis.stopServer();
    sql(servers, "INSERT INTO users (id, name, email) VALUES (2, 'b', 'b@x')");

    await("readiness names the held-up eviction step")
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              JsonNode parts = Json.mapper().readTree(get("/health/ready").body()).get("parts");
              JsonNode reason = parts.get("invalidator").get("reason");
              return reason != null && reason.asText().contains("retrying Redis");
            });
    assertThat(get("/health/ready").statusCode()).isEqualTo(503);
    assertThat(get("/health/live").statusCode()).as("held up, not dead").isEqualTo(200);
    assertStatusPageShowsNotReady("invalidator", "retrying Redis");

    servers.redis.restart();
    await("ready again once Redis is back")
        .atMost(WAIT)
        .until(() -> get("/health/ready").statusCode() == 200);
    assertThat(failure).isNotDone();
  }

  /**
   * Starts a pipeline on {@code servers} with one topic partition, an admin port on a free port
   * probing every 500 ms, no continuous audit, and {@code own} settings; waits until it is ready.
   */
  private void start(FaultServers servers, Map<String, String> own) throws Exception {
    Map<String, String> c = servers.connections(1);
    c.put(AdminConfig.PORT.name(), "0");
    c.put(AdminConfig.PROBE_INTERVAL.name(), "500");
    c.put("cachepipe.audit.interval.ms", "0");
    c.putAll(own);
    Settings settings = Settings.of(c);
    startPipeline(settings);
  }

  /**
   * The status page, as a browser draws it, shows {@code part} not ready (red) with a reason that
   * contains {@code why}, as readiness does.
   */
  private void assertStatusPageShowsNotReady(String part, String why) throws Exception {
    HeadlessChromium chromium = HeadlessChromium.findOrInstall(Path.of("target", "chromium"));
    Map<String, String> node =
        HeadlessChromium.elements(chromium.dumpDom(admin.url().toString(), 2_000)).get(part);
    assertThat(node).as("the %s node on the status page", part).isNotNull();
    assertThat(node.get("data-ready")).isEqualTo("false");
    assertThat(node.get("class")).contains("bad");
    assertThat(node.get("data-reason")).contains(why);
  }

  /** Starts a pipeline of {@code settings}, waits until it is ready, and opens its admin port. */
  private void startPipeline(Settings settings) throws Exception {
    pipeline = Pipeline.start(settings, SidecarConfig.validate(settings), failure::complete);
    pipeline.awaitReady(WAIT);
    admin = AdminPort.start(settings, pipeline, Map.of());
  }

  /** The value of the sample named exactly {@code series} (with its labels), or -1 if absent. */
  private static double value(String metrics, String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  private HttpResponse<String> get(String path) {
    try {
      return http.send(
          HttpRequest.newBuilder(URI.create(admin.url().toString()).resolve(path))
              .timeout(Duration.ofSeconds(10))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new IllegalStateException("GET " + path + ": " + e.getMessage(), e);
    }
  }

  /** The backend streaming from {@code slot}, or null while none does. */
  private static Integer activeSlotPid(Database db, String slot) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        PreparedStatement st =
            c.prepareStatement("SELECT active_pid FROM pg_replication_slots WHERE slot_name = ?")) {
      st.setString(1, slot);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? (Integer) rs.getObject(1) : null;
      }
    }
  }

  private static boolean terminate(Database db, int pid) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        PreparedStatement st = c.prepareStatement("SELECT pg_terminate_backend(?)")) {
      st.setInt(1, pid);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  private static void sql(Database db, String statement) throws SQLException {
    sql(db.jdbcUrl(), db.user(), db.password(), statement);
  }

  private static void sql(FaultServers servers, String statement) throws SQLException {
    sql(servers.jdbcUrl, servers.user(), servers.password(), statement);
  }

  private static void sql(String url, String user, String password, String statement)
      throws SQLException {
    try (Connection c = DriverManager.getConnection(url, user, password);
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }
}
