package io.cachepipe.sidecar;

import io.cachepipe.cdc.ChangeCapture;
import io.cachepipe.client.CacheClient;
import io.cachepipe.client.WriteToken;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.kafka.KafkaClients;
import io.cachepipe.invalidator.Invalidator;
import io.cachepipe.invalidator.InvalidatorConfig;
import io.cachepipe.warmer.WarmerConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Waits until everything committed before a point has gone through every stage: the connector has
 * acknowledged a change past that point, the invalidator's read-your-writes watermark has passed it
 * (so every eviction before it is applied, also one its coalescer held back after the input offsets
 * were committed), and the invalidator's and the warmer's consumer groups have committed every
 * record of their input topics.
 */
public final class PipelineDrain implements AutoCloseable {

  private final Admin admin;
  private final Connections connections;
  private final CacheClient cache;
  private final ChangeCapture capture;
  private final Topics topics;
  private final String taggingGroup;
  private final String evictionGroup;
  private final String warmerGroup;

  /**
   * Watches {@code pipeline}, which runs the cdc and invalidator stages (and the warmer, if it runs
   * one) configured by {@code settings}.
   */
  public PipelineDrain(Settings settings, Pipeline pipeline) {
    this(settings, pipeline.capture(), pipeline.warmer() != null);
  }

  /**
   * Watches stages that run apart (each in a pipeline of its own, or in other processes): {@code
   * capture} is the running cdc stage, and the warmer's consumer group is watched if {@code
   * warmer}.
   */
  public PipelineDrain(Settings settings, ChangeCapture capture, boolean warmer) {
    InvalidatorConfig invalidator = InvalidatorConfig.from(settings);
    this.admin = Admin.create(KafkaClients.shared(settings));
    this.connections = Connections.from(settings);
    this.cache = CacheClient.builder().connections(connections).build();
    this.capture = capture;
    this.topics = Topics.from(settings);
    this.taggingGroup = invalidator.applicationId();
    this.evictionGroup = Invalidator.evictionGroup(invalidator);
    this.warmerGroup = warmer ? settings.get(WarmerConfig.GROUP_ID) : null;
  }

  /**
   * Waits until the connector captured a change past {@code lsn}, then as {@link #awaitCommitted}.
   */
  public void await(long lsn, Duration timeout) throws Exception {
    LongSupplier capturedLsn = () -> capture.stats().lastLsn();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (capturedLsn.getAsLong() < lsn) {
      pause(deadline, "the connector to capture up to LSN " + lsn);
    }
    awaitCommitted(deadline);
  }

  /**
   * Waits until everything committed so far has gone through every stage: until the invalidator's
   * watermark has passed a position after it, then until no stage has a record left to process
   * (twice in a row, 100 ms apart).
   */
  public void awaitCommitted(Duration timeout) throws Exception {
    awaitCommitted(System.nanoTime() + timeout.toNanos());
  }

  private void awaitCommitted(long deadline) throws Exception {
    // The groups' lag misses an invalidation that the coalescer holds (its input offset is
    // committed, it has not left yet): the watermark waits for it. The token's own message brings
    // a watermark at once.
    long position = positionNow();
    while (cache.watermark() < position) {
      pause(deadline, "the invalidator's watermark to pass LSN " + position);
    }
    int quietChecks = 0;
    while (quietChecks < 2) {
      long lag =
          lag(taggingGroup, topics.changes())
              + lag(evictionGroup, topics.invalidations())
              + (warmerGroup == null ? 0 : lag(warmerGroup, topics.evictions()));
      quietChecks = lag == 0 ? quietChecks + 1 : 0;
      if (quietChecks < 2) {
        pause(deadline, "the invalidator and warmer to catch up (lag " + lag + ")");
      }
    }
  }

  /** A WAL position after every commit so far, with a logical message that carries it along. */
  private long positionNow() throws SQLException {
    try (Connection db =
        DriverManager.getConnection(
            connections.postgresUrl(),
            connections.postgresUser(),
            connections.postgresPassword())) {
      return WriteToken.afterCommit(db).lsn();
    }
  }

  /** Records of {@code topic} that {@code group} has not committed yet. */
  public long lag(String group, String topic) throws Exception {
    return lag(admin, group, topic);
  }

  /**
   * Records of {@code topic} that {@code group} has not committed yet, asked through {@code admin}.
   */
  public static long lag(Admin admin, String group, String topic) throws Exception {
    Set<TopicPartition> partitions =
        admin
            .describeTopics(List.of(topic))
            .allTopicNames()
            .get(10, TimeUnit.SECONDS)
            .get(topic)
            .partitions()
            .stream()
            .map(p -> new TopicPartition(topic, p.partition()))
            .collect(Collectors.toSet());
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    partitions.forEach(p -> latest.put(p, OffsetSpec.latest()));
    var ends = admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin
            .listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata()
            .get(10, TimeUnit.SECONDS);
    long lag = 0;
    for (TopicPartition p : partitions) {
      OffsetAndMetadata c = committed.get(p);
      lag += ends.get(p).offset() - (c == null ? 0 : c.offset());
    }
    return lag;
  }

  private static void pause(long deadline, String what) throws TimeoutException {
    if (System.nanoTime() > deadline) {
      throw new TimeoutException("timed out waiting for " + what);
    }
    java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L);
  }

  @Override
  public void close() {
    cache.close();
    admin.close(Duration.ofSeconds(5));
  }
}
