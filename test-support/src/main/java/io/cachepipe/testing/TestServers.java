package io.cachepipe.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The servers of this test JVM: each started on first use, shared by every test after it, and
 * stopped by a shutdown hook when the JVM exits. Whether they are local processes or containers is
 * up to {@link ServerBackend}.
 *
 * <pre>{@code
 * PostgresFixture.Database db = TestServers.postgres().createDatabase("invalidator_it");
 * String bootstrap = TestServers.kafka().bootstrapServers();
 * TestServers.redis().flushAll();
 * }</pre>
 */
public final class TestServers {

  private static final Logger LOG = LoggerFactory.getLogger(TestServers.class);
  // Not guarded by the class lock: the shutdown hook must not wait for a start that hangs.
  private static final List<AutoCloseable> STARTED = new CopyOnWriteArrayList<>();

  private static ServerBackend backend;
  private static PostgresFixture postgres;
  private static KafkaFixture kafka;
  private static RedisFixture redis;
  private static RedisClusterFixture redisCluster;

  static {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(TestServers::stopAll, "cachepipe-test-servers"));
  }

  private TestServers() {}

  /** Where the servers come from, chosen on first call. */
  public static synchronized ServerBackend backend() {
    if (backend == null) {
      backend = ServerBackend.choose();
    }
    return backend;
  }

  /** The shared PostgreSQL server, started on first call. */
  public static synchronized PostgresFixture postgres() {
    if (postgres == null) {
      postgres = start("PostgreSQL", LocalFixtures::postgres, DockerFixtures::postgres);
    }
    return postgres;
  }

  /** The shared Kafka cluster, started on first call. */
  public static synchronized KafkaFixture kafka() {
    if (kafka == null) {
      kafka = start("Kafka", LocalFixtures::kafka, DockerFixtures::kafka);
    }
    return kafka;
  }

  /** The shared Redis server, started on first call. */
  public static synchronized RedisFixture redis() {
    if (redis == null) {
      redis = start("Redis", LocalFixtures::redis, DockerFixtures::redis);
    }
    return redis;
  }

  /**
   * The shared Redis Cluster (three masters), started on first call. Local processes only: with the
   * Docker backend the calling test is skipped (aborted), with the reason.
   */
  public static synchronized RedisClusterFixture redisCluster() {
    if (redisCluster == null) {
      Assumptions.assumeTrue(
          backend() == ServerBackend.LOCAL,
          "Redis Cluster has no Docker fixture: it runs as local redis-server processes"
              + " (-Dcachepipe.test.servers=local)");
      redisCluster = start("Redis Cluster", RedisClusterFixture::local, () -> null);
    }
    return redisCluster;
  }

  /**
   * A Redis server of its own that requires {@code AUTH password} ({@code requirepass}), for tests
   * of authentication. Stopped by {@link RedisFixture#close()}, or when the JVM exits.
   */
  public static synchronized RedisFixture redisRequiringPassword(String password) {
    return start(
        "Redis with a password",
        () -> LocalFixtures.redis(password),
        () -> DockerFixtures.redis(password));
  }

  private static <T extends AutoCloseable> T start(
      String what, Supplier<T> local, Supplier<T> docker) {
    Supplier<T> starter = backend() == ServerBackend.LOCAL ? local : docker;
    long begin = System.nanoTime();
    T fixture = starter.get();
    STARTED.add(fixture);
    LOG.info("{} started in {} ms: {}", what, (System.nanoTime() - begin) / 1_000_000, fixture);
    return fixture;
  }

  /** Stops the servers at the same time: the JVM exits when the slowest is down. */
  private static void stopAll() {
    List<Thread> stoppers = new ArrayList<>();
    for (AutoCloseable fixture : STARTED) {
      Thread stopper = new Thread(() -> stop(fixture), "stop-" + fixture);
      stopper.start();
      stoppers.add(stopper);
    }
    STARTED.clear();
    for (Thread stopper : stoppers) {
      try {
        stopper.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static void stop(AutoCloseable fixture) {
    try {
      fixture.close();
    } catch (Exception e) {
      LOG.warn("cannot stop {}", fixture, e);
    }
  }
}
