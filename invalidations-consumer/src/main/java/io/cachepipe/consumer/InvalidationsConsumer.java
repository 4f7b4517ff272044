package io.cachepipe.consumer;

import io.cachepipe.core.config.Topics;
import io.cachepipe.core.kafka.CommittingPollLoop;
import io.cachepipe.core.kafka.KafkaClients;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Reads cachepipe's public invalidations topic (docs/invalidations.md) for a service that keeps
 * something fresh with it: an {@link InvalidationListener} is called for every invalidation, the
 * watermarks say how far the service is caught up ({@link #caughtUpPosition}, {@link
 * #awaitCaughtUp}), offsets are committed only after the listener returned for every record before
 * them (at least once: a crash replays, it never skips), and unreadable records are dead-lettered
 * or, without a dead-letter topic, skipped and counted ({@link ConsumerStats#skipped()}).
 *
 * <pre>{@code
 * try (InvalidationsConsumer consumer =
 *     InvalidationsConsumer.builder()
 *         .bootstrapServers("kafka:9092")
 *         .groupId("search-indexer")
 *         .listener(invalidation -> index.markStale(invalidation.tag()))
 *         .start()) {
 *   ...
 * }
 * }</pre>
 *
 * <p>Consumers of one group share the topic's partitions; each service (or each process that must
 * see every invalidation, such as an in-process cache) needs a group of its own.
 */
public final class InvalidationsConsumer implements AutoCloseable {

  /** How long {@link #close} waits for the batch in hand to finish and commit. */
  public static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

  private final CommittingPollLoop<byte[], byte[]> loop;
  private final UnreadableRecords unreadable;
  private final CaughtUp caughtUp;
  private final ConsumerStats stats;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();

  private InvalidationsConsumer(Builder builder) {
    this.stats = new ConsumerStats();
    this.caughtUp = new CaughtUp();
    Map<String, Object> shared = new HashMap<>(builder.properties);
    shared.put("bootstrap.servers", builder.bootstrapServers);
    Map<String, Object> overrides = new HashMap<>();
    if (builder.fromLatest) {
      overrides.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    }
    overrides.putAll(builder.properties);
    KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            KafkaClients.manualCommitConsumer(shared, builder.groupId, overrides),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer());
    this.unreadable =
        builder.deadLetterTopic == null
            ? UnreadableRecords.skipping(stats)
            : UnreadableRecords.deadLettering(
                new KafkaProducer<>(
                    KafkaClients.acknowledgedProducer(
                        securityOnly(shared), builder.groupId + "-dead-letters", Map.of()),
                    new ByteArraySerializer(),
                    new ByteArraySerializer()),
                builder.deadLetterTopic,
                "consumer:" + builder.groupId,
                stats);
    RecordDispatcher dispatcher =
        new RecordDispatcher(builder.listener, caughtUp, unreadable, stats);
    this.loop =
        CommittingPollLoop.builder(consumer, List.of(builder.topic), dispatcher)
            .onRebalance(dispatcher)
            .onFailure(
                e -> {
                  failure.compareAndSet(null, e);
                  builder.onFailure.accept(e);
                })
            .build();
  }

  /** Options of a consumer; bootstrap servers, group and listener have no default. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The WAL position before which every committed change has been passed to the listener, for the
   * partitions this consumer owns; -1 until every owned partition has a watermark from every source
   * (after a start or a rebalance).
   */
  public long caughtUpPosition() {
    return caughtUp.position();
  }

  /**
   * The highest position of the watermarks read in the owned partitions, or -1 until every
   * (partition, source) pair has one: see {@link CaughtUp#newestPosition()}.
   */
  public long newestWatermarkPosition() {
    return caughtUp.newestPosition();
  }

  /**
   * When the oldest of the newest watermarks of the owned partitions was written (epoch ms), or -1
   * if one is missing: every change captured before about that moment has reached the listener.
   */
  public long oldestWatermarkMillis() {
    return caughtUp.oldestMarkMillis();
  }

  /**
   * Waits until {@link #caughtUpPosition} reaches {@code position} (a read-your-writes token's WAL
   * position), at most {@code maxWait}.
   *
   * @return whether it did
   */
  public boolean awaitCaughtUp(long position, Duration maxWait) throws InterruptedException {
    return caughtUp.await(position, maxWait.toNanos());
  }

  /** The partitions this consumer owns now. */
  public Set<TopicPartition> partitions() {
    return caughtUp.owned();
  }

  /** Whether the consumer has joined its group and was given partitions (possibly none). */
  public boolean isAssigned() {
    return loop.isAssigned();
  }

  /** Why the consumer stopped on its own (a listener or Kafka failure), if it did. */
  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure.get());
  }

  public ConsumerStats stats() {
    return stats;
  }

  /**
   * Stops: lets the batch in hand finish, commits what the listener finished, leaves the group and
   * closes the clients; waits at most {@link #CLOSE_WAIT}.
   */
  @Override
  public void close() {
    loop.stop(CLOSE_WAIT);
    unreadable.close();
  }

  private InvalidationsConsumer start(String threadName) {
    loop.start(threadName);
    return this;
  }

  private static Map<String, Object> securityOnly(Map<String, Object> shared) {
    Map<String, Object> config = new HashMap<>();
    shared.forEach(
        (key, value) -> {
          if (key.equals("bootstrap.servers")
              || KafkaClients.SHARED.stream().anyMatch(key::startsWith)) {
            config.put(key, value);
          }
        });
    return config;
  }

  /** Options of an {@link InvalidationsConsumer}. Not thread-safe. */
  public static final class Builder {
    private String bootstrapServers;
    private String groupId;
    private String topic = Topics.INVALIDATIONS.defaultValue();
    private InvalidationListener listener;
    private final Map<String, Object> properties = new HashMap<>();
    private boolean fromLatest;
    private String deadLetterTopic;
    private java.util.function.Consumer<Throwable> onFailure = e -> {};

    private Builder() {}

    /** Kafka's {@code bootstrap.servers}. */
    public Builder bootstrapServers(String bootstrapServers) {
      this.bootstrapServers = nonBlank(bootstrapServers, "bootstrapServers");
      return this;
    }

    /** The consumer group: its committed offsets are where a restart resumes. */
    public Builder groupId(String groupId) {
      this.groupId = nonBlank(groupId, "groupId");
      return this;
    }

    /** The invalidations topic; {@code cachepipe.invalidations} by default. */
    public Builder topic(String topic) {
      this.topic = nonBlank(topic, "topic");
      return this;
    }

    /** Told of every invalidation (and of progress and rebalances). */
    public Builder listener(InvalidationListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * A Kafka client property, passed through untouched: {@code security.protocol}, {@code
     * sasl.jaas.config}, {@code ssl.truststore.location}, consumer tuning. The security keys
     * ({@code security.*}, {@code sasl.*}, {@code ssl.*}) go to the dead-letter producer too.
     */
    public Builder property(String key, Object value) {
      properties.put(nonBlank(key, "key"), Objects.requireNonNull(value, key));
      return this;
    }

    /** {@link #property} for each entry of {@code properties}. */
    public Builder properties(Map<String, ?> properties) {
      properties.forEach(this::property);
      return this;
    }

    /**
     * A group without committed offsets starts at the end of each partition rather than at its
     * start: for a reader whose state starts empty (an in-process cache), the past is of no use.
     */
    public Builder startFromLatest() {
      this.fromLatest = true;
      return this;
    }

    /**
     * Unreadable records go to {@code topic} with the reason (header {@code cachepipe.reason}).
     * Without one they are skipped and counted ({@link ConsumerStats#skipped()}); so are dead
     * letters that cannot be written.
     */
    public Builder deadLetterTopic(String topic) {
      this.deadLetterTopic = nonBlank(topic, "deadLetterTopic");
      return this;
    }

    /** Told if the consumer stops on its own: a listener threw, or Kafka failed for good. */
    public Builder onFailure(java.util.function.Consumer<Throwable> onFailure) {
      this.onFailure = Objects.requireNonNull(onFailure, "onFailure");
      return this;
    }

    /** The consumer, reading on a daemon thread of its own. */
    public InvalidationsConsumer start() {
      nonBlank(bootstrapServers, "bootstrapServers");
      nonBlank(groupId, "groupId");
      Objects.requireNonNull(listener, "listener");
      return new InvalidationsConsumer(this).start("cachepipe-invalidations-" + groupId);
    }

    private static String nonBlank(String value, String name) {
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException(name + " must not be blank");
      }
      return value;
    }
  }
}
