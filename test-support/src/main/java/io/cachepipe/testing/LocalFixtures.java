package io.cachepipe.testing;

import io.cachepipe.servers.LocalPostgres;
import io.cachepipe.servers.LocalRedis;
import java.nio.file.Files;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Fixtures backed by local processes: no Docker needed. */
final class LocalFixtures {

  private static final Logger LOG = LoggerFactory.getLogger(LocalFixtures.class);

  private LocalFixtures() {}

  static PostgresFixture postgres() {
    LocalPostgres postgres = LocalPostgres.start();
    return new PostgresFixture(
        postgres.host(),
        postgres.port(),
        postgres.user(),
        postgres.password(),
        postgres.database(),
        postgres);
  }

  /**
   * One combined KRaft node in this JVM: about twice as fast to start as a broker JVM, and test
   * scope is where {@code kafka-test-common-runtime} belongs.
   */
  static KafkaFixture kafka() {
    // The broker runs inside the test JVM: a log-dir failure while the JVM shuts down (the kit's
    // files going away under it) makes Kafka halt the process, failing a build whose tests all
    // passed. Kafka's own tests replace these procedures the same way.
    Exit.setHaltProcedure(
        (status, message) -> LOG.warn("in-process Kafka asked to halt ({}): {}", status, message));
    Exit.setExitProcedure(
        (status, message) -> LOG.warn("in-process Kafka asked to exit ({}): {}", status, message));
    KafkaClusterTestKit cluster = null;
    try {
      TestKitNodes nodes =
          new TestKitNodes.Builder()
              // The kit's default directory is deleted by a shutdown hook of its own, which races
              // with the hook that closes the cluster; this one is deleted by close().
              .setBaseDirectory(Files.createTempDirectory("cachepipe-kafka-kit-"))
              // The kit defaults to the newest metadata version still in development.
              .setBootstrapMetadataVersion(MetadataVersion.latestProduction())
              .setCombined(true)
              .setNumBrokerNodes(1)
              .setNumControllerNodes(1)
              .build();
      cluster =
          new KafkaClusterTestKit.Builder(nodes)
              .setConfigProp("offsets.topic.replication.factor", "1")
              .setConfigProp("offsets.topic.num.partitions", "1")
              .setConfigProp("transaction.state.log.replication.factor", "1")
              .setConfigProp("transaction.state.log.min.isr", "1")
              .setConfigProp("share.coordinator.state.topic.replication.factor", "1")
              .setConfigProp("share.coordinator.state.topic.min.isr", "1")
              .setConfigProp("default.replication.factor", "1")
              .setConfigProp("min.insync.replicas", "1")
              .setConfigProp("num.partitions", "1")
              .setConfigProp("group.initial.rebalance.delay.ms", "0")
              .setConfigProp("auto.create.topics.enable", "true")
              .setDeleteOnClose(true)
              .build();
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
      return new KafkaFixture(cluster.bootstrapServers(), cluster);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closeQuietly(cluster, e);
      throw new FixtureException("interrupted while starting Kafka", e);
    } catch (Exception e) {
      closeQuietly(cluster, e);
      throw new FixtureException("cannot start KafkaClusterTestKit", e);
    }
  }

  static RedisFixture redis() {
    LocalRedis redis = LocalRedis.start();
    return new RedisFixture(redis.host(), redis.port(), null, redis);
  }

  /** A Redis that requires {@code AUTH password}. */
  static RedisFixture redis(String password) {
    LocalRedis redis = LocalRedis.builder().requirePass(password).start();
    return new RedisFixture(redis.host(), redis.port(), password, redis);
  }

  private static void closeQuietly(AutoCloseable resource, Exception failure) {
    if (resource != null) {
      try {
        resource.close();
      } catch (Exception e) {
        failure.addSuppressed(e);
      }
    }
  }
}
