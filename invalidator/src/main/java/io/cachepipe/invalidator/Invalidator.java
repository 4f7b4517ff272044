package io.cachepipe.invalidator;

import io.cachepipe.core.change.EvictionListener;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.kafka.KafkaClients;
import io.cachepipe.core.kafka.TopicCreator;
import io.cachepipe.core.tag.TagRules;
import io.cachepipe.redis.evict.EvictorConnection;
import io.cachepipe.redis.evict.RetryingTagEvictor;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.CloseOptions.GroupMembershipOperation;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The invalidator stage: the {@link InvalidationTopology} (changes to tags) running in Kafka
 * Streams, and the {@link EvictionStep} applying the invalidations to Redis.
 */
public final class Invalidator implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Invalidator.class);

  /**
   * The longest {@link #close} waits for each of its parts (Streams, the eviction step, the
   * reports' producer); with Kafka up each stops in well under that.
   */
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(3);

  private final EvictorConnection redis;
  private final RetryingTagEvictor evictor;
  private final KafkaStreams streams;
  private final KafkaProducer<String, byte[]> reports;
  private final KafkaConsumer<String, byte[]> evictionConsumer;
  private final EvictionStep evictionStep;
  private final InvalidatorMetrics metrics = new InvalidatorMetrics();

  private Invalidator(Settings settings, Consumer<Throwable> onFailure) {
    InvalidatorConfig config = InvalidatorConfig.from(settings);
    Connections connections = Connections.from(settings);
    Topics topics = Topics.from(settings);
    TagRules rules = TagRules.from(settings);
    Map<String, Object> kafkaClient = KafkaClients.shared(settings);
    TopicCreator.ensure(kafkaClient, topics);
    this.redis = EvictorConnection.open(connections, config.eviction(), "invalidator");
    this.evictor = redis.evictor();
    this.reports =
        new KafkaProducer<>(
            KafkaClients.acknowledgedProducer(kafkaClient, "cachepipe-eviction-reports", Map.of()),
            new StringSerializer(),
            new ByteArraySerializer());
    Map<String, Object> consumerConfig = consumerConfig(config, kafkaClient, settings);
    this.evictionConsumer =
        new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new ByteArrayDeserializer());
    this.evictionStep =
        new EvictionStep(
            evictionConsumer,
            reports,
            evictor,
            topics,
            metrics,
            KafkaClients.pollBudget(consumerConfig),
            onFailure);
    evictionStep.start();
    this.streams =
        new KafkaStreams(
            InvalidationTopology.build(rules, topics, config.coalesceDelay(), metrics),
            streamsProperties(config, kafkaClient, topics, metrics));
    streams.setUncaughtExceptionHandler(
        e -> {
          LOG.error("invalidator stream thread failed: {}", e.getMessage(), e);
          onFailure.accept(e);
          return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    streams.start();
  }

  /**
   * Tells {@code listener} of every eviction report that lists live keys, once Kafka has
   * acknowledged it: a warmer in this process starts its recomputes from there rather than after
   * reading the report back from the evictions topic.
   */
  public void onEvictionReported(EvictionListener listener) {
    evictionStep.onReported(listener);
  }

  /**
   * Starts the invalidator.
   *
   * @param onFailure called if a stream thread dies; the sidecar ends the process
   */
  public static Invalidator start(Settings settings, Consumer<Throwable> onFailure) {
    return new Invalidator(settings, onFailure);
  }

  /**
   * @param kafkaClient what every Kafka client gets ({@link KafkaClients#shared})
   */
  static Properties streamsProperties(
      InvalidatorConfig config,
      Map<String, Object> kafkaClient,
      Topics topics,
      InvalidatorMetrics metrics) {
    Properties p = new Properties();
    p.putAll(kafkaClient);
    p.putAll(InvalidationTopology.errorHandling(topics, metrics));
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
    p.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) topics.replicationFactor());
    // A restart replays at most this much; replays are harmless (evictions are idempotent).
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    // Streams sets linger.ms=100 on its producers: that alone would add ~100 ms to every
    // eviction. Invalidations are small and latency is the product.
    p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 0);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    // The topology has no global store; without this Streams 4.x warns at every start that the
    // handler is off for the global thread, a warning the user did nothing to cause. Its partition
    // assignor reads a config of its own from the main consumer's: there too.
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
    p.put(
        StreamsConfig.mainConsumerPrefix(
            StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG),
        true);
    if (!config.coalesceDelay().isZero()) {
      // Held invalidations leave on a wall-clock punctuation, which an idle poll would delay.
      p.put(StreamsConfig.POLL_MS_CONFIG, Coalescer.period(config.coalesceDelay()).toMillis());
    }
    p.putAll(config.streams());
    return p;
  }

  /** Consumer group of the eviction step: the Streams application id with {@code -eviction}. */
  public static String evictionGroup(InvalidatorConfig config) {
    return config.applicationId() + "-eviction";
  }

  private static Map<String, Object> consumerConfig(
      InvalidatorConfig config, Map<String, Object> kafkaClient, Settings settings) {
    Map<String, Object> own = new HashMap<>();
    own.put(ConsumerConfig.CLIENT_ID_CONFIG, evictionGroup(config));
    own.putAll(settings.subtree("kafka.eviction.consumer."));
    return KafkaClients.manualCommitConsumer(kafkaClient, evictionGroup(config), own);
  }

  /** Whether both parts run: Streams is RUNNING and the eviction step has joined its group. */
  public boolean isReady() {
    return streams.state() == KafkaStreams.State.RUNNING && evictionStep.isAssigned();
  }

  /** Kafka Streams' state (RUNNING when it processes). */
  public KafkaStreams.State state() {
    return streams.state();
  }

  /**
   * Why the eviction step is held up ("retrying Redis for 12 s: connection refused"), or null when
   * it is not.
   */
  public String trouble() {
    return evictionStep.trouble();
  }

  /** When the eviction step last finished a batch (or started). */
  public Instant lastProgress() {
    return evictionStep.lastProgress();
  }

  /** Why the eviction step ended by itself (it evicts nothing more), or null while it has not. */
  public String evictionStepFailure() {
    return evictionStep.failure();
  }

  /** Whether the eviction step's consumer has joined its group and was given partitions. */
  public boolean evictionStepAssigned() {
    return evictionStep.isAssigned();
  }

  /**
   * The Kafka Streams client, for metrics binders to read its {@code metrics()}; it must not be
   * started, stopped or queried otherwise.
   */
  public KafkaStreams kafkaStreams() {
    return streams;
  }

  /**
   * The eviction step's consumer and its reports producer, for metrics binders to read their {@code
   * metrics()} (which is thread-safe); they must not be used otherwise.
   */
  public List<org.apache.kafka.clients.consumer.Consumer<?, ?>> kafkaConsumers() {
    return List.of(evictionConsumer);
  }

  /** See {@link #kafkaConsumers()}. */
  public List<Producer<?, ?>> kafkaProducers() {
    return List.of(reports);
  }

  public InvalidatorMetrics metrics() {
    return metrics;
  }

  @Override
  public void close() {
    // Leave the group: by default Streams stays in it, and the partitions of a stopped instance go
    // unprocessed, by its restart as by the other instances, until its session times out (45 s
    // by default): as long without a single eviction.
    // At most STOP_TIMEOUT for each part: with Kafka gone, Streams' last commit and the reports
    // still unsent would each wait for it far longer. What a stop cut short is replayed.
    streams.close(
        CloseOptions.groupMembershipOperation(GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(STOP_TIMEOUT));
    redis.evictor().close();
    evictionStep.stop(STOP_TIMEOUT);
    reports.close(STOP_TIMEOUT);
    redis.close();
  }
}
