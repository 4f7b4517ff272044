package io.cachepipe.sidecar.admin;

import io.cachepipe.cdc.CdcConfig;
import io.cachepipe.client.CacheStats;
import io.cachepipe.core.concurrent.DaemonThreads;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.kafka.KafkaClients;
import io.cachepipe.core.lifecycle.OwnedResources;
import io.cachepipe.sidecar.Pipeline;
import io.cachepipe.sidecar.admin.AdminHttp.Response;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sidecar's admin HTTP port: {@code /metrics} (Prometheus text), {@code /health/live}, {@code
 * /health/ready} (200, or 503 naming the parts that are not ready), {@code /status.json} and the
 * status page at {@code /}. Loopback by default; off loopback with a token ({@link AdminAccess}).
 * Every answer comes from state the probes keep ({@link AdminConfig#PROBE_INTERVAL}): a request
 * never waits for Redis, Kafka or PostgreSQL.
 */
public final class AdminPort implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AdminPort.class);
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private final OwnedResources owned =
      new OwnedResources(e -> LOG.debug("closing the admin port: {}", e.getMessage()));
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final ScheduledExecutorService scheduler =
      Executors.newScheduledThreadPool(2, DaemonThreads.named("cachepipe-admin"));
  private final AdminConfig config;
  private final Pipeline pipeline;
  private SlotLagProbe slot;
  private RedisProbe redis;
  private KafkaProbe kafka;
  private PipelineHealth health;
  private StatusHistory history;
  private AdminHttp http;

  private AdminPort(AdminConfig config, Pipeline pipeline) {
    this.config = config;
    this.pipeline = pipeline;
  }

  /**
   * Starts the admin port for {@code pipeline}, or returns null when {@code cachepipe.admin.port}
   * is -1.
   *
   * @param caches this process's own cache-clients by name, for hit ratio and fills (the demo's
   *     readers); the warmer's is added by itself
   * @throws UncheckedIOException if the port cannot be bound
   */
  public static AdminPort start(
      Settings settings, Pipeline pipeline, Map<String, CacheStats> caches) {
    AdminConfig config = AdminConfig.from(settings);
    if (!config.enabled()) {
      return null;
    }
    AdminPort admin = new AdminPort(config, pipeline);
    try {
      admin.startProbesAndMeters(settings, caches);
      admin.http =
          admin.own(
              new AdminHttp(config.host(), config.port(), AdminAccess.of(config), admin.routes()));
    } catch (IOException e) {
      admin.close();
      throw new UncheckedIOException(
          "cannot bind the admin port " + config.host() + ":" + config.port() + ": " + e, e);
    } catch (RuntimeException e) {
      admin.close();
      throw e;
    }
    LOG.info("admin port: {} (metrics at /metrics, readiness at /health/ready)", admin.url());
    return admin;
  }

  private void startProbesAndMeters(Settings settings, Map<String, CacheStats> caches) {
    owned.own(scheduler::shutdownNow);
    Connections connections = Connections.from(settings);
    if (pipeline.capture() != null) {
      slot = own(new SlotLagProbe(connections, settings.get(CdcConfig.SLOT)));
    }
    if (pipeline.invalidator() != null || pipeline.warmer() != null) {
      redis = own(new RedisProbe(connections));
    }
    kafka = own(new KafkaProbe(KafkaClients.shared(settings)));
    health =
        new PipelineHealth(
            pipeline,
            redis,
            slot,
            settings.get(AdminConfig.STALL),
            !settings.get(CdcConfig.HEARTBEAT_INTERVAL).isZero(),
            System::currentTimeMillis);
    Duration databaseEvery = settings.get(DatabaseGauges.INTERVAL);
    if (!databaseEvery.isZero()) {
      DatabaseGauges database = new DatabaseGauges(settings, registry);
      scheduler.scheduleWithFixedDelay(
          () -> logFailure("database figures", database::refresh),
          0,
          databaseEvery.toMillis(),
          TimeUnit.MILLISECONDS);
    }
    ContinuousAudit audit = ContinuousAudit.startIfConfigured(settings, registry);
    if (audit != null) {
      own(audit);
    }
    history = new StatusHistory(registry, config.probeInterval());
    bindMeters(caches);
    long every = config.probeInterval().toMillis();
    scheduler.scheduleWithFixedDelay(
        () -> logFailure("probe", this::probe), 0, every, TimeUnit.MILLISECONDS);
    scheduler.scheduleAtFixedRate(
        () -> logFailure("status sample", () -> history.sample(System.currentTimeMillis())),
        0,
        every,
        TimeUnit.MILLISECONDS);
  }

  private void bindMeters(Map<String, CacheStats> caches) {
    new PipelineMeters(pipeline, caches, slot, redis).bindTo(registry);
    new StageMeters(health).bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    own(new JvmGcMetrics()).bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    if (pipeline.capture() != null) {
      own(new KafkaClientMetrics(pipeline.capture().kafkaProducer(), List.of(), scheduler))
          .bindTo(registry);
    }
    if (pipeline.invalidator() != null) {
      own(new KafkaStreamsMetrics(pipeline.invalidator().kafkaStreams(), List.of(), scheduler))
          .bindTo(registry);
      pipeline
          .invalidator()
          .kafkaConsumers()
          .forEach(c -> own(new KafkaClientMetrics(c, List.of(), scheduler)).bindTo(registry));
      pipeline
          .invalidator()
          .kafkaProducers()
          .forEach(p -> own(new KafkaClientMetrics(p, List.of(), scheduler)).bindTo(registry));
    }
    if (pipeline.warmer() != null) {
      own(new KafkaClientMetrics(pipeline.warmer().kafkaConsumer(), List.of(), scheduler))
          .bindTo(registry);
    }
  }

  private void probe() {
    if (slot != null) {
      slot.refresh();
    }
    if (redis != null) {
      redis.refresh();
    }
    kafka.refresh();
  }

  /** Runs a periodic task; a scheduled task that throws is never run again, so none may. */
  private static void logFailure(String what, Runnable task) {
    try {
      task.run();
    } catch (Throwable e) {
      LOG.warn("admin {} failed: {}", what, e.toString(), e);
    }
  }

  private Map<String, Supplier<Response>> routes() {
    Map<String, Supplier<Response>> routes = new LinkedHashMap<>();
    routes.put("/metrics", () -> Response.text(200, PROMETHEUS_TEXT, registry.scrape()));
    routes.put(
        "/health/live",
        () -> {
          Map<String, Part> parts = health.parts();
          return Response.json(
              PipelineHealth.live(parts) ? 200 : 503, PipelineHealth.liveness(parts));
        });
    routes.put(
        "/health/ready",
        () -> {
          Map<String, Part> parts = health.parts();
          return Response.json(
              PipelineHealth.ready(parts) ? 200 : 503, PipelineHealth.report(parts));
        });
    routes.put("/status.json", () -> Response.json(200, status()));
    return routes;
  }

  private Map<String, Object> status() {
    Map<String, Part> parts = health.parts();
    Map<String, Object> servers = new LinkedHashMap<>();
    servers.put("postgres", slot == null ? "not probed (no cdc stage here)" : slot.state());
    servers.put("kafka", kafka.state());
    Map<String, Object> body = new LinkedHashMap<>(PipelineHealth.report(parts));
    body.put("servers", servers);
    body.put("interval_ms", config.probeInterval().toMillis());
    body.put("samples", history.samples());
    body.put("totals", StatusTotals.of(registry));
    return body;
  }

  /** Where the status page is: {@code http://HOST:PORT/}. */
  public URI url() {
    String host = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
    if (host.equals("0.0.0.0")) {
      host = "127.0.0.1";
    }
    return URI.create("http://" + host + ":" + http.port() + "/");
  }

  private <T extends AutoCloseable> T own(T resource) {
    return owned.own(resource);
  }

  @Override
  public void close() {
    owned.close();
    registry.close();
  }
}
