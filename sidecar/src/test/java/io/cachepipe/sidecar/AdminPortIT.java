package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.cachepipe.cdc.EagerEvictionStats;
import io.cachepipe.client.CacheClient;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.json.Json;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.servers.LocalRedis;
import io.cachepipe.sidecar.admin.AdminConfig;
import io.cachepipe.sidecar.admin.AdminPort;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The admin port of a running pipeline on real PostgreSQL, Kafka and a Redis of its own (which the
 * last test stops): Prometheus metrics, readiness, and the status page as headless Chromium shows
 * it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AdminPortIT {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Path SCREENSHOT = Path.of("target", "status-page.png");

  private static LocalRedis redis;
  private static Database db;
  private static Pipeline pipeline;
  private static CacheClient cache;
  private static AdminPort admin;
  private static final HttpClient http = HttpClient.newHttpClient();
  private static final CompletableFuture<Throwable> failure = new CompletableFuture<>();

  /** When the test's one change was about to be written. */
  private static Instant beforeTheChange;

  @BeforeAll
  static void startPipelineWithAdminPort() throws Exception {
    redis = LocalRedis.start();
    db = TestServers.postgres().createDatabase("admin_it");
    Settings settings =
        PipelineTestSettings.of(db, "admin")
            .with("cachepipe.redis.uri", redis.uri())
            .with(AdminConfig.PORT.name(), "0")
            .with(AdminConfig.PROBE_INTERVAL.name(), "500");
    pipeline = Pipeline.start(settings, SidecarConfig.validate(settings), failure::complete);
    pipeline.awaitReady(WAIT);
    cache = CacheClient.create(redis.uri());
    admin = AdminPort.start(settings, pipeline, Map.of("test", cache.stats()));
    // Two entries of the first change's tag: its eviction deletes both.
    for (String kind : List.of("user", "user_posts")) {
      cache.get(
          CacheKeys.entry(kind, 1),
          List.of("user:1"),
          Duration.ofHours(1),
          () -> "x",
          String.class);
    }
    beforeTheChange = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    sql("INSERT INTO users (id, name, email) VALUES (1, 'ada', 'ada@example.com')");
    await("the first change's eviction")
        .atMost(WAIT)
        .until(() -> pipeline.invalidator().metrics().evictions() >= 1);
    EagerEvictionStats eager = pipeline.capture().eagerEviction().orElseThrow();
    await("the first change's eviction at capture")
        .atMost(WAIT)
        .until(() -> eager.changes() + eager.failedChanges() + eager.droppedChanges() >= 1);
  }

  @AfterAll
  static void stop() {
    if (admin != null) {
      admin.close();
    }
    if (cache != null) {
      cache.close();
    }
    if (pipeline != null) {
      pipeline.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  @Test
  @Order(1)
  void metricsShowTheChangeThatFlowedThroughAndTheLibraryBinders() {
    await("the slot probe's first figure")
        .atMost(WAIT)
        .until(() -> value(get("/metrics").body(), slotSeries()) >= 0);
    HttpResponse<String> response = get("/metrics");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
    String metrics = response.body();
    assertThat(value(metrics, "cachepipe_cdc_changes_total{table=\"public.users\"}")).isEqualTo(1);
    assertThat(value(metrics, "cachepipe_invalidator_changes_total{watched=\"true\"}"))
        .isEqualTo(1);
    assertThat(value(metrics, "cachepipe_evictions_total")).isGreaterThanOrEqualTo(1);
    assertThat(value(metrics, "cachepipe_commit_to_eviction_seconds_count"))
        .isGreaterThanOrEqualTo(1);
    assertThat(metrics).contains("cachepipe_commit_to_eviction_seconds_bucket{le=");
    assertThat(
            value(metrics, "cachepipe_keys_deleted_total")
                + value(metrics, "cachepipe_cdc_eager_keys_deleted_total"))
        .as(
            "the two entries cached under user:1 before the change, deleted once, by either evictor")
        .isEqualTo(2);
    assertThat(
            value(metrics, "cachepipe_cdc_eager_evictions_total")
                + value(metrics, "cachepipe_cdc_eager_skipped_total"))
        .as("the change's tags applied at capture, or found applied by the eviction through Kafka")
        .isGreaterThanOrEqualTo(1);
    assertThat(value(metrics, "cachepipe_commit_to_eager_eviction_seconds_count"))
        .isGreaterThanOrEqualTo(1);
    assertThat(metrics)
        .contains("cachepipe_cdc_eager_failed_changes_total{reason=\"redis\"} 0.0")
        .contains("cachepipe_cdc_eager_failed_changes_total{reason=\"backlog\"} 0.0");
    assertThat(metrics)
        .contains("cachepipe_cache_fills_total{client=\"warmer\",result=\"accepted\"}")
        .contains("cachepipe_cache_fills_total{client=\"test\",result=\"rejected\"}")
        .contains("cachepipe_warmer_queued")
        .contains("cachepipe_warmer_recompute_seconds_count")
        .contains("cachepipe_dead_lettered_total{stage=\"cdc\"} 0.0")
        .contains("cachepipe_dead_lettered_total{stage=\"invalidator\"} 0.0");
    assertThat(metrics)
        .as("JVM, processor and Kafka client binders")
        .contains("jvm_memory_used_bytes")
        .contains("jvm_threads_live_threads")
        .contains("system_cpu_count")
        .contains("kafka_producer_")
        .contains("kafka_consumer_");
  }

  @Test
  @Order(2)
  void readyWhileEveryPartRunsNamingEachPart() throws Exception {
    assertThat(get("/health/live").statusCode()).isEqualTo(200);
    HttpResponse<String> response = get("/health/ready");

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode body = Json.mapper().readTree(response.body());
    assertThat(body.get("ready").asBoolean()).isTrue();
    assertThat(partStates(body))
        .containsExactly(
            Map.entry("cdc", "streaming"),
            Map.entry("invalidator", "RUNNING"),
            Map.entry("redis", "PONG"),
            Map.entry("warmer", "assigned"));
    assertThat(body.get("failing")).isEmpty();
    for (String part : List.of("cdc", "invalidator")) {
      JsonNode progress = body.at("/parts/" + part + "/progress");
      assertThat(Instant.parse(progress.get("last_record_at").asText()))
          .as("%s's last record", part)
          .isBetween(beforeTheChange, Instant.now());
    }
    assertThat(body.at("/parts/invalidator/progress/oldest_unevicted_ms_at_most").asLong())
        .as("the one change captured is evicted")
        .isZero();
    String metrics = get("/metrics").body();
    for (String part : List.of("cdc", "invalidator", "redis", "warmer")) {
      assertThat(value(metrics, "cachepipe_stage_up{stage=\"" + part + "\"}"))
          .as("cachepipe_stage_up of %s", part)
          .isEqualTo(1);
    }
  }

  @Test
  @Order(3)
  void statusPageShowsTheStatesOfReadinessAndChartsWithData() throws Exception {
    HeadlessChromium chromium = HeadlessChromium.findOrInstall(Path.of("target", "chromium"));
    String page = admin.url().toString();
    AtomicBoolean running = new AtomicBoolean(true);
    Thread load = new Thread(() -> writeAndRead(running), "admin-it-load");
    load.start();
    Map<String, Map<String, String>> elements;
    try {
      elements =
          await("every chart of the status page shows data")
              .atMost(Duration.ofSeconds(120))
              .pollInterval(Duration.ofSeconds(1))
              .until(
                  () -> HeadlessChromium.elements(chromium.dumpDom(page, 3_000)),
                  e ->
                      List.of("chart-throughput", "chart-latency", "chart-slot", "chart-hits")
                          .stream()
                          .allMatch(chart -> points(e, chart) >= 3));
      chromium.screenshot(page, 3_000, SCREENSHOT);
    } finally {
      running.set(false);
      load.join();
    }
    JsonNode ready = Json.mapper().readTree(get("/health/ready").body());

    Map<String, String> shown = new LinkedHashMap<>();
    partStates(ready).keySet().forEach(part -> shown.put(part, state(elements, part)));
    assertThat(shown).as("states on the page").isEqualTo(partStates(ready));
    assertThat(elements.get("redis").get("class")).contains("ok");
  }

  @Test
  @Order(4)
  void notReadyNamingRedisOnceRedisStops() throws Exception {
    redis.close();

    HttpResponse<String> response =
        await("readiness fails")
            .atMost(WAIT)
            .until(() -> get("/health/ready"), r -> r.statusCode() == 503);

    JsonNode body = Json.mapper().readTree(response.body());
    assertThat(body.get("ready").asBoolean()).isFalse();
    assertThat(body.get("failing").toString()).isEqualTo("[\"redis\"]");
    assertThat(body.at("/parts/redis/state").asText()).startsWith("no answer");
    assertThat(body.at("/parts/cdc/ready").asBoolean()).isTrue();
    String metrics = get("/metrics").body();
    assertThat(value(metrics, "cachepipe_stage_up{stage=\"redis\"}")).isEqualTo(0);
    assertThat(value(metrics, "cachepipe_stage_up{stage=\"cdc\"}")).isEqualTo(1);
    HeadlessChromium chromium = HeadlessChromium.findOrInstall(Path.of("target", "chromium"));
    Map<String, Map<String, String>> elements =
        HeadlessChromium.elements(chromium.dumpDom(admin.url().toString(), 2_000));
    assertThat(elements.get("redis").get("data-ready")).isEqualTo("false");
    assertThat(elements.get("redis").get("class")).contains("bad");
  }

  /**
   * Writes and reads until told to stop, so that every chart has something to show: each round
   * waits for its own write's eviction before reading, so the pipeline itself paces the load.
   */
  private static void writeAndRead(AtomicBoolean running) {
    long deadline = System.nanoTime() + Duration.ofSeconds(150).toNanos();
    int round = 0;
    while (running.get() && System.nanoTime() < deadline) {
      try {
        long evicted = pipeline.invalidator().metrics().evictions();
        sql("UPDATE users SET name = 'ada " + round++ + "' WHERE id = 1");
        await("the eviction of round " + round)
            .atMost(Duration.ofSeconds(30))
            .until(() -> !running.get() || pipeline.invalidator().metrics().evictions() > evicted);
        for (int i = 0; i < 5; i++) {
          cache.get(
              CacheKeys.entry("user", 1),
              List.of("user:1"),
              Duration.ofHours(1),
              () -> Map.of("id", 1),
              Map.class);
        }
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  private static String slotSeries() {
    return "cachepipe_cdc_slot_retained_wal_bytes{slot=\"" + db.name() + "\"}";
  }

  private static int points(Map<String, Map<String, String>> elements, String chart) {
    Map<String, String> svg = elements.get(chart);
    return svg == null ? 0 : Integer.parseInt(svg.getOrDefault("data-points", "0"));
  }

  private static String state(Map<String, Map<String, String>> elements, String part) {
    Map<String, String> node = elements.get(part);
    return node == null ? "(not on the page)" : node.get("data-state");
  }

  private static Map<String, String> partStates(JsonNode health) {
    Map<String, String> states = new LinkedHashMap<>();
    health
        .get("parts")
        .fields()
        .forEachRemaining(e -> states.put(e.getKey(), e.getValue().get("state").asText()));
    return states;
  }

  /** The value of the sample named exactly {@code series} (with its labels), or -1 if absent. */
  private static double value(String metrics, String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  private static HttpResponse<String> get(String path) {
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

  private static void sql(String statement) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }
}
