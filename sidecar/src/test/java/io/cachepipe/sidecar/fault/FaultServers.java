package io.cachepipe.sidecar.fault;

import io.cachepipe.example.ExampleSchema;
import io.cachepipe.servers.LocalKafka;
import io.cachepipe.servers.LocalPostgres;
import io.cachepipe.servers.LocalRedis;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The fault suite's own PostgreSQL, Kafka (a broker JVM) and Redis, each a separate process that a
 * test stops and starts again: never the JVM-shared {@code TestServers}, which other tests of the
 * same JVM rely on.
 */
final class FaultServers implements AutoCloseable {

  static final String DATABASE = "faults";

  final LocalPostgres postgres;
  final LocalKafka kafka;
  final LocalRedis redis;
  final String jdbcUrl;

  private FaultServers(LocalPostgres postgres, LocalKafka kafka, LocalRedis redis) {
    this.postgres = postgres;
    this.kafka = kafka;
    this.redis = redis;
    this.jdbcUrl = postgres.createDatabase(DATABASE);
    ExampleSchema.migrate(jdbcUrl, postgres.user(), postgres.password());
  }

  /** Starts the three servers at the same time and migrates the example schema. */
  static FaultServers start() {
    CompletableFuture<LocalPostgres> postgres = CompletableFuture.supplyAsync(LocalPostgres::start);
    CompletableFuture<LocalKafka> kafka = CompletableFuture.supplyAsync(LocalKafka::start);
    CompletableFuture<LocalRedis> redis = CompletableFuture.supplyAsync(LocalRedis::start);
    try {
      return new FaultServers(postgres.join(), kafka.join(), redis.join());
    } catch (RuntimeException e) {
      List<CompletableFuture<? extends AutoCloseable>> all = List.of(postgres, kafka, redis);
      for (CompletableFuture<? extends AutoCloseable> server : all) {
        server.thenAccept(FaultServers::closeQuietly);
      }
      throw e;
    }
  }

  String user() {
    return postgres.user();
  }

  String password() {
    return postgres.password();
  }

  /**
   * A pipeline's settings for these servers: where PostgreSQL, Kafka and Redis are, and topics of
   * {@code partitions} partitions. Tests add their own (a mutable map).
   */
  Map<String, String> connections(int partitions) {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("cachepipe.postgres.url", jdbcUrl);
    c.put("cachepipe.postgres.user", user());
    c.put("cachepipe.postgres.password", password());
    c.put("kafka.bootstrap.servers", kafka.bootstrapServers());
    c.put("cachepipe.redis.uri", redis.uri());
    c.put("cachepipe.topic.partitions", Integer.toString(partitions));
    return c;
  }

  @Override
  public void close() {
    List<Thread> stoppers = new ArrayList<>();
    for (AutoCloseable server : List.<AutoCloseable>of(postgres, kafka, redis)) {
      Thread stopper = new Thread(() -> closeQuietly(server), "stop-" + server);
      stopper.start();
      stoppers.add(stopper);
    }
    for (Thread stopper : stoppers) {
      try {
        stopper.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static void closeQuietly(AutoCloseable server) {
    try {
      server.close();
    } catch (Exception e) {
      // The JVM's shutdown hook stops what is left.
    }
  }
}
