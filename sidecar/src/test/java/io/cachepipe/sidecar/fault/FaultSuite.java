package io.cachepipe.sidecar.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.cachepipe.auditor.AuditResult;
import io.cachepipe.auditor.ConsistencyAuditor;
import io.cachepipe.client.CacheClient;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.warm.WarmableEntry;
import io.cachepipe.invalidator.Invalidator;
import io.cachepipe.invalidator.InvalidatorConfig;
import io.cachepipe.servers.FreePort;
import io.cachepipe.sidecar.PipelineDrain;
import io.cachepipe.sidecar.SidecarProcess;
import io.cachepipe.warmer.WarmerConfig;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * What the fault tests share: the servers, the sidecar process and its configuration, the log of
 * evictions, and the test's own clients of PostgreSQL, Redis and Kafka.
 */
final class FaultSuite implements AutoCloseable {

  /** The sidecar's heap: small, so that a change storm that buffered everything would fail. */
  static final String SIDECAR_HEAP = "-Xmx256m";

  static final Duration STARTUP = Duration.ofSeconds(180);

  /** How long a stopped sidecar has for its graceful stop before it is killed. */
  static final Duration STOP = Duration.ofSeconds(30);

  private static final List<String> SIDECAR_JVM =
      List.of(SIDECAR_HEAP, "-XX:TieredStopAtLevel=1", "-XX:+ExitOnOutOfMemoryError");

  final FaultServers servers;
  final Settings settings;
  final Topics topics;

  /** The process running every stage; null when the stages run apart (see {@link #stage}). */
  final SidecarProcess sidecar;

  /** The processes that run the stages: the one sidecar, or one per stage. */
  private final Map<String, SidecarProcess> processes = new LinkedHashMap<>();

  final HikariDataSource database;
  final CacheClient cache;
  final RedisCommands<String, String> redis;
  private final ClientResources redisResources;
  private final RedisClient redisClient;
  private final StatefulRedisConnection<String, String> redisConnection;
  private final Admin admin;
  private EvictionLog evictions;

  /** Every stage in one sidecar process. */
  FaultSuite(FaultServers servers, Path dir) throws IOException {
    this(servers, dir, List.of(), Map.of());
  }

  /**
   * @param stagesApart stages that each run in a process of their own ({@code run --stages cdc}),
   *     with an admin port of its own
   */
  FaultSuite(FaultServers servers, Path dir, List<String> stagesApart) throws IOException {
    this(servers, dir, stagesApart, Map.of());
  }

  /** Every stage in one sidecar process, with {@code extra} settings on top of the suite's. */
  FaultSuite(FaultServers servers, Path dir, Map<String, String> extra) throws IOException {
    this(servers, dir, List.of(), extra);
  }

  /**
   * @param stagesApart stages that each run in a process of their own ({@code run --stages cdc}),
   *     with an admin port of its own; empty for one sidecar process running every stage
   * @param extra settings on top of the suite's
   */
  FaultSuite(FaultServers servers, Path dir, List<String> stagesApart, Map<String, String> extra)
      throws IOException {
    this.servers = servers;
    Map<String, String> config = config(servers, dir);
    config.putAll(extra);
    this.settings = Settings.of(config);
    this.topics = Topics.from(settings);
    Path file = dir.resolve("cachepipe.properties");
    Files.writeString(
        file,
        config.entrySet().stream()
            .map(e -> e.getKey() + "=" + e.getValue())
            .collect(Collectors.joining("\n", "", "\n")));
    if (stagesApart.isEmpty()) {
      int adminPort = Integer.parseInt(config.get("cachepipe.admin.port"));
      this.sidecar =
          SidecarProcess.named(
              dir, "sidecar", adminPort, SIDECAR_JVM, List.of("run", "--config", file.toString()));
      processes.put("all", sidecar);
    } else {
      this.sidecar = null;
      for (String stage : stagesApart) {
        int adminPort = FreePort.pick();
        processes.put(
            stage,
            SidecarProcess.named(
                dir,
                stage,
                adminPort,
                SIDECAR_JVM,
                List.of(
                    "run",
                    "--config",
                    file.toString(),
                    "--stages",
                    stage,
                    "--admin-port",
                    Integer.toString(adminPort))));
      }
    }
    HikariConfig pool = new HikariConfig();
    pool.setJdbcUrl(servers.jdbcUrl);
    pool.setUsername(servers.user());
    pool.setPassword(servers.password());
    pool.setMaximumPoolSize(4);
    pool.setPoolName("fault-it");
    this.database = new HikariDataSource(pool);
    this.cache = CacheClient.create(servers.redis.uri());
    // The test's look at Redis reconnects at once after a restart (Lettuce's default schedule
    // could leave it disconnected for 30 s).
    this.redisResources =
        ClientResources.builder().reconnectDelay(Delay.constant(Duration.ofMillis(100))).build();
    this.redisClient = RedisClient.create(redisResources, servers.redis.uri());
    this.redisConnection = redisClient.connect();
    this.redis = redisConnection.sync();
    this.admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, servers.kafka.bootstrapServers()));
  }

  /**
   * The sidecar's configuration: every stage, defaults except names, the admin port, and consumer
   * session timeouts of 10 s (Kafka's default, 45 s, is how long a killed member keeps its
   * partitions before its successor gets them).
   */
  private static Map<String, String> config(FaultServers servers, Path dir) {
    Map<String, String> c = servers.connections(2);
    c.put("cachepipe.cdc.slot.name", "faults");
    c.put("cachepipe.invalidator.state.dir", dir.resolve("streams").toAbsolutePath().toString());
    c.put("cachepipe.admin.port", Integer.toString(FreePort.pick()));
    c.put("cachepipe.audit.interval.ms", "0");
    c.put("cachepipe.warm.defaults", "example");
    c.put("kafka.streams.session.timeout.ms", "10000");
    c.put("kafka.eviction.consumer.session.timeout.ms", "10000");
    c.put("kafka.consumer.session.timeout.ms", "10000");
    return c;
  }

  /** The figures every fault row must show: the sidecar runs, nothing lost, nothing stale. */
  void assertNothingLostNothingStale(FaultResult result) {
    assertThat(sidecar.isAlive()).as("the sidecar runs; see %s", sidecar.log()).isTrue();
    assertThat(result.lost()).as("committed writes never invalidated").isZero();
    assertThat(result.staleAfter()).as("stale entries after recovery").isZero();
    assertThat(result.committed()).as("writes committed").isPositive();
  }

  /**
   * {@code target/NAME}, emptied: a previous run's logs and Streams state belong to servers long
   * gone.
   */
  static Path freshDirectory(String name) throws IOException {
    Path dir = Path.of("target", name).toAbsolutePath();
    if (Files.exists(dir)) {
      try (var paths = Files.walk(dir)) {
        for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    return Files.createDirectories(dir);
  }

  /**
   * Starts the sidecar's processes that do not run (a test before may have left one dead), all at
   * once, and waits until each is ready.
   */
  void ensureSidecarRuns() throws IOException {
    for (SidecarProcess process : processes.values()) {
      if (!process.isAlive()) {
        process.start();
      }
    }
    for (SidecarProcess process : processes.values()) {
      process.awaitReady(STARTUP);
    }
    if (evictions == null) {
      evictions = new EvictionLog(servers.kafka.bootstrapServers(), topics.evictions());
    }
  }

  /** The process that runs {@code stage} alone. */
  SidecarProcess stage(String stage) {
    return Objects.requireNonNull(processes.get(stage), stage + " does not run apart");
  }

  EvictionLog evictions() {
    return evictions;
  }

  /** Records of the stages' input topics that their consumer groups have not committed yet. */
  long lag() throws Exception {
    InvalidatorConfig invalidator = InvalidatorConfig.from(settings);
    return lag(invalidator.applicationId(), topics.changes())
        + lag(Invalidator.evictionGroup(invalidator), topics.invalidations())
        + lag(settings.get(WarmerConfig.GROUP_ID), topics.evictions());
  }

  /** Records of {@code topic} that {@code group} has not committed. */
  long lag(String group, String topic) throws Exception {
    return PipelineDrain.lag(admin, group, topic);
  }

  Map<TopicPartition, Long> endOffsets(String topic) throws Exception {
    int partitions =
        admin
            .describeTopics(List.of(topic))
            .allTopicNames()
            .get(10, TimeUnit.SECONDS)
            .get(topic)
            .partitions()
            .size();
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    for (int p = 0; p < partitions; p++) {
      latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
    }
    Map<TopicPartition, Long> ends = new HashMap<>();
    admin
        .listOffsets(latest)
        .all()
        .get(10, TimeUnit.SECONDS)
        .forEach((p, info) -> ends.put(p, info.offset()));
    return ends;
  }

  Map<TopicPartition, OffsetAndMetadata> committedOffsets(String group) throws Exception {
    return admin
        .listConsumerGroupOffsets(group)
        .partitionsToOffsetAndMetadata()
        .get(10, TimeUnit.SECONDS);
  }

  /** Waits until no stage has a record left to process, twice in a row. */
  void awaitNoLag(Duration timeout) {
    int[] quiet = {0};
    await("every stage caught up")
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              quiet[0] = lag() == 0 ? quiet[0] + 1 : 0;
              return quiet[0] >= 2;
            });
  }

  /** Every cached entry found through the tag registries, checked against PostgreSQL. */
  AuditResult audit() {
    return new ConsistencyAuditor(redis, database::getConnection, WarmableEntry.from(settings))
        .auditAll(ConsistencyAuditor.DEFAULT_GRACE);
  }

  @Override
  public void close() {
    try {
      for (SidecarProcess process : processes.values()) {
        if (process.isAlive()) {
          process.stop(STOP);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (evictions != null) {
      evictions.close();
    }
    admin.close(Duration.ofSeconds(5));
    cache.close();
    redisConnection.close();
    redisClient.shutdown();
    redisResources.shutdown();
    database.close();
  }
}
