package io.cachepipe.demo;

import io.cachepipe.auditor.AuditResult;
import io.cachepipe.auditor.ConsistencyAuditor;
import io.cachepipe.client.CacheClient;
import io.cachepipe.client.NearCacheOptions;
import io.cachepipe.core.config.ConfigException;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Secrets;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.core.warm.WarmKinds;
import io.cachepipe.core.warm.WarmableEntry;
import io.cachepipe.example.ExampleSchema;
import io.cachepipe.invalidator.InvalidatorConfig;
import io.cachepipe.sidecar.Pipeline;
import io.cachepipe.sidecar.PipelineDrain;
import io.cachepipe.sidecar.SidecarConfig;
import io.cachepipe.sidecar.Stage;
import io.cachepipe.sidecar.admin.AdminConfig;
import io.cachepipe.sidecar.admin.AdminPort;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/** One run of the demo workload on real servers: what {@code demo} and the benchmarks share. */
public final class DemoRun {

  /** What a run measured; see {@link DemoProgress#report}. */
  public record Report(Map<String, Object> summary, int stale, String failure) {

    public void print(PrintStream out, boolean json) throws Exception {
      if (failure != null) {
        out.println("a stage failed: " + failure);
      }
      out.println("summary: " + DemoProgress.oneLine(summary));
      out.println(
          summary.get("steady_latency_ms") == null
              ? "  hit_ratio and latency_ms are of the whole run; it was not longer than its"
                  + " warm-up ("
                  + summary.get("warmup_s")
                  + " s), so it has no steady figures (null)"
              : "  hit_ratio and latency_ms are of the whole run; steady_hit_ratio and"
                  + " steady_latency_ms leave out its first "
                  + summary.get("warmup_s")
                  + " s (start-up, JIT, caches filling)");
      if (json) {
        out.println(io.cachepipe.core.json.Json.mapper().writeValueAsString(summary));
      }
    }
  }

  private DemoRun() {}

  /**
   * Starts the servers, seeds, starts {@code stages}, runs the workload and, unless a stage failed,
   * drains and audits.
   */
  public static Report run(DemoOptions options, Set<Stage> stages, PrintStream out)
      throws Exception {
    try (DemoServers servers = DemoServers.start(options, out)) {
      if (servers.externalRedis) {
        clearKeys(servers.redisUri, CacheKeys.PREFIX);
      }
      Settings settings = settings(servers, options, Map.of());
      try (DemoDatabase db = seededDatabase(servers, options, 8)) {
        long seededUsers = db.maxId("users");
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        try (Pipeline pipeline = Pipeline.start(settings, stages, failure::complete);
            CacheClient cache = cacheClient(servers, options);
            AdminPort admin = AdminPort.start(settings, pipeline, Map.of("demo", cache.stats()))) {
          if (admin != null) {
            out.println("Status      " + admin.url());
          }
          pipeline.capture().awaitStarted(Duration.ofSeconds(60));
          pipeline.awaitReady(Duration.ofSeconds(60));
          firstRoundTrip(pipeline, db);
          DemoProgress progress = new DemoProgress(pipeline, cache, out);
          try (DemoWorkload workload =
              new DemoWorkload(
                  db, DemoWorkload.throughCache(cache, db), seededUsers, db.maxId("posts"))) {
            workload.start(2, options.writeRate, 2, options.readRate, options.seed);
            progress.runFor(options.duration, options.warmup, failure, workload);
          }
          if (failure.isDone()) {
            return progress.report(null, failure.join().getMessage());
          }
          out.println("quiescing: waiting for the pipeline to drain …");
          drain(settings, pipeline, db);
          AuditResult audit = audit(servers.redisUri, settings, db);
          audit.staleEntries().stream()
              .limit(20)
              .forEach(
                  e ->
                      out.println(
                          "STALE "
                              + e.key()
                              + " cached "
                              + e.cached()
                              + " but database has "
                              + e.trueValue()));
          Report report = progress.report(audit, null);
          if (options.keepRunning) {
            keepRunning(servers, report, out);
          }
          return report;
        }
      }
    }
  }

  /** The readers' client: with the near cache in front of Redis if {@code --near-cache}. */
  private static CacheClient cacheClient(DemoServers servers, DemoOptions options) {
    CacheClient.Builder builder = CacheClient.builder().redisUri(servers.redisUri);
    if (options.nearCache) {
      builder.nearCache(NearCacheOptions.builder(servers.kafkaBootstrap).build());
    }
    return builder.build();
  }

  /**
   * Compares every cached entry with PostgreSQL, after the pipeline drained: any difference is a
   * stale entry, the one thing cachepipe exists to prevent. The same auditor as {@code audit}'s.
   */
  private static AuditResult audit(String redisUri, Settings settings, DemoDatabase db) {
    RedisClient client = RedisClient.create(redisUri);
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      return new ConsistencyAuditor(connection.sync(), db::connection, WarmableEntry.from(settings))
          .auditAll(ConsistencyAuditor.DEFAULT_GRACE);
    } finally {
      client.shutdown();
    }
  }

  /**
   * Deletes every key starting with {@code prefix} (cachepipe's: {@link CacheKeys#PREFIX}), so that
   * a demo on an external Redis starts from nothing. (It scans the keyspace, which is fine before a
   * demo and never done on the eviction path.)
   */
  public static void clearKeys(String redisUri, String prefix) {
    RedisClient client = RedisClient.create(redisUri);
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      RedisCommands<String, String> redis = connection.sync();
      ScanCursor cursor = ScanCursor.INITIAL;
      do {
        var page = redis.scan(cursor, ScanArgs.Builder.matches(prefix + "*").limit(1000));
        if (!page.getKeys().isEmpty()) {
          redis.unlink(page.getKeys().toArray(String[]::new));
        }
        cursor = page;
      } while (!cursor.isFinished());
    } finally {
      client.shutdown();
    }
  }

  /**
   * Prints how to reach the servers, then the report, and waits until the process is stopped (the
   * servers are child processes that stop with it).
   */
  private static void keepRunning(DemoServers servers, Report report, PrintStream out)
      throws Exception {
    // The embedded server's password is the demo's own; a password the user gave is not echoed.
    String password =
        servers.processes().containsKey("postgres") ? servers.postgresPassword : "<yours>";
    String redis = Secrets.maskCredentials(servers.redisUri);
    out.printf(
        "servers and pipeline kept running until Ctrl-C; for example:%n"
            + "  CACHEPIPE_WARM_DEFAULTS=example ./cachepipe audit --pg-url '%s' --pg-user %s"
            + " --pg-password '%s' --redis %s --json%n"
            + "  ./cachepipe db health --pg-url '%s' --pg-user %s --pg-password '%s'%n",
        servers.postgresUrl,
        servers.postgresUser,
        password,
        redis,
        servers.postgresUrl,
        servers.postgresUser,
        password);
    report.print(out, true);
    out.flush();
    new java.util.concurrent.CountDownLatch(1).await();
  }

  /**
   * The example schema on {@code servers}' PostgreSQL, seeded with {@code options.users} authors of
   * 10 posts each unless it has users already, and a pool of {@code poolSize} connections to it.
   */
  public static DemoDatabase seededDatabase(DemoServers servers, DemoOptions options, int poolSize)
      throws Exception {
    ExampleSchema.migrate(servers.postgresUrl, servers.postgresUser, servers.postgresPassword);
    DemoDatabase db =
        new DemoDatabase(
            servers.postgresUrl, servers.postgresUser, servers.postgresPassword, poolSize);
    try {
      if (db.maxId("users") == 0) {
        db.seed(options.users, 10);
      }
      return db;
    } catch (Exception e) {
      db.close();
      throw e;
    }
  }

  /**
   * The pipeline's settings on {@code servers}, with {@code overrides} on top of the demo's own and
   * those on top of the environment and {@code --config}, checked as {@code run} checks them.
   */
  public static Settings settings(
      DemoServers servers, DemoOptions options, Map<String, String> overrides) throws Exception {
    Path stateDir = Files.createTempDirectory("cachepipe-demo-streams-");
    stateDir.toFile().deleteOnExit();
    Map<String, String> values = new LinkedHashMap<>();
    values.put(Connections.POSTGRES_URL.name(), servers.postgresUrl);
    values.put(Connections.POSTGRES_USER.name(), servers.postgresUser);
    values.put(Connections.POSTGRES_PASSWORD.name(), servers.postgresPassword);
    values.put(Connections.KAFKA_BOOTSTRAP.name(), servers.kafkaBootstrap);
    values.put(Connections.REDIS_URI.name(), servers.redisUri);
    values.put(Topics.PARTITIONS.name(), "3");
    values.put(InvalidatorConfig.STATE_DIR.name(), stateDir.toString());
    values.put(AdminConfig.PORT.name(), Integer.toString(options.adminPort));
    values.putAll(overrides);
    // A --config file or the environment may tune any other key (CACHEPIPE_CDC_POLL_INTERVAL_MS=1).
    // The demo's own schema: its user_stats kind is warmed, unless --config says otherwise.
    Settings settings =
        SidecarConfig.load(options.config, System.getenv(), values)
            .withDefaults(Map.of(WarmKinds.DEFAULTS.name(), "example"));
    SidecarConfig.validate(settings);
    if (Connections.from(settings).redisCluster()) {
      // Its readers, audit and key cleanup talk to one server.
      throw new ConfigException(
          Connections.REDIS_MODE.name()
              + ": the demo and the benchmarks run on one Redis server, expected "
              + Connections.STANDALONE
              + " (cluster mode is for run and audit)");
    }
    return settings;
  }

  /**
   * Starts every stage on {@code settings} and waits until capture streams, each stage is ready and
   * a first change went through ({@link #firstRoundTrip}); a stage's failure completes {@code
   * failure}.
   */
  public static Pipeline startPipeline(
      Settings settings, DemoDatabase db, CompletableFuture<Throwable> failure) throws Exception {
    Pipeline pipeline = Pipeline.start(settings, EnumSet.allOf(Stage.class), failure::complete);
    try {
      pipeline.capture().awaitStarted(Duration.ofSeconds(60));
      pipeline.awaitReady(Duration.ofSeconds(60));
      firstRoundTrip(pipeline, db);
      return pipeline;
    } catch (Exception e) {
      pipeline.close();
      throw e;
    }
  }

  /**
   * Commits one change and waits until it was evicted: the first change through a fresh pipeline
   * takes about a second (connections, class loading), which is start-up, not latency.
   */
  private static void firstRoundTrip(Pipeline pipeline, DemoDatabase db) throws Exception {
    long before = pipeline.invalidator().metrics().evictions();
    touchMarker(db);
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (pipeline.invalidator().metrics().evictions() == before) {
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("no eviction within 60 s of a change");
      }
      LockSupport.parkNanos(10_000_000L);
    }
  }

  private static void touchMarker(DemoDatabase db) throws Exception {
    try (var c = db.connection();
        var st = c.createStatement()) {
      st.executeUpdate(
          "UPDATE users SET updated_at = now() WHERE id = (SELECT min(id) FROM users)");
    }
  }

  /**
   * Writes a marker after the workload and waits until it and everything before it went through.
   */
  public static void drain(Settings settings, Pipeline pipeline, DemoDatabase db) throws Exception {
    long before = db.currentLsn();
    touchMarker(db);
    try (PipelineDrain drain = new PipelineDrain(settings, pipeline)) {
      drain.await(before, Duration.ofSeconds(120));
    }
  }
}
