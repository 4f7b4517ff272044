package io.cachepipe.sidecar.demo;

import io.cachepipe.client.CacheClient;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.example.ExampleSchema;
import io.cachepipe.invalidator.Invalidator;
import io.cachepipe.invalidator.InvalidatorConfig;
import io.cachepipe.sidecar.Main;
import io.cachepipe.sidecar.Pipeline;
import io.cachepipe.sidecar.SidecarConfig;
import io.cachepipe.sidecar.Stage;
import io.cachepipe.warmer.WarmerConfig;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cachepipe demo}: the whole pipeline on embedded servers, under a workload, audited. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the whole pipeline on real servers: an embedded PostgreSQL (wal_level=logical), a"
          + " single-node KRaft Kafka broker and a redis-server, each replaced by yours when its"
          + " option is given. Seeds users and posts, runs readers (through the cache-client) and"
          + " writers for --duration, printing progress each second; then lets the pipeline drain,"
          + " compares every cached user stats entry with PostgreSQL and prints a summary.",
      "Exits 1 if any cached entry is stale.",
      "With --pg-url the demo creates its tables (users, posts) in that database."
    })
public final class DemoCommand implements Callable<Integer> {

  @Option(
      names = "--duration",
      defaultValue = "30s",
      converter = DurationConverter.class,
      description = "How long the workload runs (default ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(
      names = "--json",
      description = "Make the last line of output one JSON object with the summary.")
  boolean json;

  @Option(
      names = "--pg-url",
      paramLabel = "JDBC-URL",
      description = "Use this PostgreSQL (wal_level=logical) instead of an embedded one.")
  String pgUrl;

  @Option(
      names = "--pg-user",
      defaultValue = "postgres",
      description = "User for --pg-url (default ${DEFAULT-VALUE}).")
  String pgUser;

  @Option(names = "--pg-password", defaultValue = "", description = "Password for --pg-url.")
  String pgPassword;

  @Option(
      names = "--kafka",
      paramLabel = "BOOTSTRAP",
      description = "Use this Kafka instead of a local broker.")
  String kafka;

  @Option(
      names = "--redis",
      paramLabel = "URL",
      description =
          "Use this Redis (redis://host:port) instead of a redis-server child. Its cp:* keys are deleted first.")
  String redis;

  @Option(
      names = "--write-rate",
      defaultValue = "200",
      description = "Writes per second (default ${DEFAULT-VALUE}).")
  double writeRate;

  @Option(
      names = "--read-rate",
      defaultValue = "1000",
      description = "Cached reads per second (default ${DEFAULT-VALUE}).")
  double readRate;

  @Option(
      names = "--users",
      defaultValue = "200",
      description = "Authors to seed, 10 posts each (default ${DEFAULT-VALUE}).")
  int users;

  @Option(
      names = "--seed",
      defaultValue = "42",
      description = "Random seed of the workload (default ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    try (DemoServers servers = DemoServers.start(this, out)) {
      if (servers.externalRedis) {
        StatsAudit.clear(servers.redisUri);
      }
      ExampleSchema.migrate(servers.postgresUrl, servers.postgresUser, servers.postgresPassword);
      Settings settings = settings(servers);
      SidecarConfig.validate(settings);
      try (DemoDatabase db =
          new DemoDatabase(
              servers.postgresUrl, servers.postgresUser, servers.postgresPassword, 8)) {
        if (db.maxId("users") == 0) {
          db.seed(users, 10);
        }
        long seededUsers = db.maxId("users");
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        try (Pipeline pipeline =
                Pipeline.start(settings, EnumSet.allOf(Stage.class), failure::complete);
            CacheClient cache = CacheClient.create(servers.redisUri)) {
          pipeline.capture().awaitStarted(Duration.ofSeconds(60));
          pipeline.awaitReady(Duration.ofSeconds(60));
          firstRoundTrip(pipeline, db);
          DemoProgress progress = new DemoProgress(pipeline, cache, out);
          try (DemoWorkload workload =
              new DemoWorkload(db, cache, seededUsers, db.maxId("posts"))) {
            workload.start(2, writeRate, 2, readRate, seed);
            progress.runFor(duration, failure, workload);
          }
          if (failure.isDone()) {
            out.println("a stage failed: " + failure.join().getMessage());
            return Main.FAILED;
          }
          out.println("quiescing: waiting for the pipeline to drain …");
          drain(settings, pipeline, db);
          StatsAudit.Result audit = StatsAudit.run(servers.redisUri, db);
          audit.staleKeys().stream().limit(20).forEach(k -> out.println("STALE " + k));
          progress.printSummary(audit, json);
          return audit.staleKeys().isEmpty() ? 0 : Main.FAILED;
        }
      }
    }
  }

  private Settings settings(DemoServers servers) throws Exception {
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
    // The environment may tune any other key (CACHEPIPE_CDC_POLL_INTERVAL_MS=1, ...).
    return Settings.load(null, System.getenv(), values);
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
  private static void drain(Settings settings, Pipeline pipeline, DemoDatabase db)
      throws Exception {
    long before = db.currentLsn();
    touchMarker(db);
    try (PipelineDrain drain =
        new PipelineDrain(
            settings.get(Connections.KAFKA_BOOTSTRAP),
            Topics.from(settings),
            settings.get(InvalidatorConfig.APPLICATION_ID),
            Invalidator.evictionGroup(InvalidatorConfig.from(settings)),
            settings.get(WarmerConfig.GROUP_ID))) {
      drain.await(before, () -> pipeline.capture().stats().lastLsn(), Duration.ofSeconds(120));
    }
  }
}
