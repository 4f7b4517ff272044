package io.cachepipe.sidecar.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.core.config.Settings;
import io.cachepipe.sidecar.Pipeline;
import io.cachepipe.sidecar.SidecarConfig;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A sidecar told to stop stops within seconds, whatever is down, and loses nothing: with its Kafka
 * gone and a change committed meanwhile, closing the pipeline of every stage (what SIGTERM does)
 * ends within {@link #CLOSES_WITHIN}; once Kafka is back, the next start captures that change
 * (offsets not stored are replayed: at least once).
 */
class PipelineStopIT {

  /**
   * The longest a pipeline may take to close with its Kafka gone. Kubernetes gives a pod 30 s
   * between SIGTERM and SIGKILL (the default {@code terminationGracePeriodSeconds}, which
   * deploy/kubernetes keeps): a stop must end within that with room to spare for a slow, shared
   * machine. Each wait of a stop on Kafka is bounded by one to three seconds, and the stages stop
   * one after the other; unbounded, a stop waited for the clients' own timeouts, about a minute for
   * the capture alone.
   */
  private static final Duration CLOSES_WITHIN = Duration.ofSeconds(20);

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final long AUTHOR = 1;
  private static final long POST = 1_000_001;

  private final CompletableFuture<Throwable> failure = new CompletableFuture<>();

  @Test
  void aPipelineWhoseKafkaIsGoneClosesWithinSecondsAndItsChangeIsCapturedAfter() throws Exception {
    try (FaultServers servers = FaultServers.start()) {
      Settings settings = settings(servers);
      Pipeline pipeline = start(settings);
      Duration took;
      try {
        // A change through Kafka first: a stage that has never reached its topic waits for its
        // metadata instead (up to max.block.ms), not the case of a sidecar that ran for a while.
        sql(servers, "INSERT INTO users (id, name, email) VALUES (" + AUTHOR + ", 'a', 'a@x')");
        await("the author is captured")
            .atMost(WAIT)
            .until(() -> pipeline.capture().stats().captured("public.users") >= 1);
        servers.kafka.stopBroker();
        sql(
            servers,
            "INSERT INTO posts (id, author_id, title, view_count) VALUES ("
                + POST
                + ", "
                + AUTHOR
                + ", 'committed while Kafka is gone', 1)");
      } finally {
        long begin = System.nanoTime();
        pipeline.close();
        took = Duration.ofNanos(System.nanoTime() - begin);
      }
      System.out.printf("pipeline closed with Kafka gone in %d ms%n", took.toMillis());
      assertThat(took).as("the pipeline's close with Kafka gone").isLessThan(CLOSES_WITHIN);
      assertThat(failure).as("no stage failed by itself").isNotDone();

      servers.kafka.restart();
      Pipeline again = start(settings);
      try {
        await("the change Kafka never acknowledged is captured after the restart")
            .atMost(WAIT)
            .until(() -> again.capture().stats().captured("public.posts") >= 1);
      } finally {
        again.close();
      }
    }
  }

  private Pipeline start(Settings settings) throws Exception {
    Pipeline pipeline =
        Pipeline.start(settings, SidecarConfig.validate(settings), failure::complete);
    try {
      pipeline.awaitReady(WAIT);
    } catch (Exception e) {
      pipeline.close();
      throw e;
    }
    return pipeline;
  }

  /** Every stage on {@code servers}, with the example's warm kinds. */
  private static Settings settings(FaultServers servers) throws Exception {
    Map<String, String> c = servers.connections(1);
    c.put("cachepipe.cdc.slot.name", "stop");
    c.put(
        "cachepipe.invalidator.state.dir",
        Files.createTempDirectory("pipeline-stop-it-streams").toString());
    c.put("cachepipe.warm.defaults", "example");
    // A stop cut short leaves its consumers in their groups: the restart's members get the
    // partitions once the old ones' sessions expire (Kafka's default, 45 s).
    c.put("kafka.streams.session.timeout.ms", "10000");
    c.put("kafka.eviction.consumer.session.timeout.ms", "10000");
    c.put("kafka.consumer.session.timeout.ms", "10000");
    return Settings.of(c);
  }

  private static void sql(FaultServers servers, String statement) throws Exception {
    try (Connection c =
            DriverManager.getConnection(servers.jdbcUrl, servers.user(), servers.password());
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }
}
