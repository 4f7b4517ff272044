package io.cachepipe.invalidator;

import io.cachepipe.core.change.EvictionListener;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.kafka.KafkaClients;
import io.cachepipe.core.kafka.TopicCreator;
import io.cachepipe.core.tag.TagRules;
import java.time.Duration;
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

  private final EvictorConnection redis;
  private final RetryingTagEvictor evictor;
  private final KafkaStreams streams;
  private final KafkaProducer<String, byte[]> reports;
  private final KafkaConsumer<String, byte[]> evictionConsumer;
  private final EvictionStep evictionStep;
  private final Thread evictionThread;
  private final InvalidatorMetrics metrics = new InvalidatorMetrics();

  private Invalidator(Settings settings, Consumer<Throwable> onFailure) {
    InvalidatorConfig config = InvalidatorConfig.from(settings);
    Connections connections = Connections.from(settings);
    Topics topics = Topics.from(settings);
    TagRules rules = TagRules.from(settings);
    Map<String, Object> kafkaClient = KafkaClients.shared(settings);
    TopicCreator.ensure(kafkaClient, topics);
    this.redis = EvictorConnection.open(connections, config, "invalidator");
    this.evictor = redis.evictor();
    this.reports = new KafkaProducer<>(producerConfig(kafkaClient));
    this.evictionConsumer = new KafkaConsumer<>(consumerConfig(config, kafkaClient, settings));
    this.evictionStep =
        new EvictionStep(evictionConsumer, reports, evictor, topics, metrics, onFailure);
    this.evictionThread = new Thread(evictionStep, "cachepipe-eviction");
    evictionThread.setDaemon(true);
    evictionThread.start();
    this.streams =
        new KafkaStreams(
            InvalidationTopology.build(rules, topics, config.coalesceDelay(), metrics),
            streamsProperties(config, kafkaClient, topics));
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
      InvalidatorConfig config, Map<String, Object> kafkaClient, Topics topics) {
    Properties p = new Properties();
    p.putAll(kafkaClient);
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
    Map<String, Object> c = new HashMap<>(kafkaClient);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, evictionGroup(config));
    c.put(ConsumerConfig.CLIENT_ID_CONFIG, evictionGroup(config));
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.putAll(settings.subtree("kafka.eviction.consumer."));
    return c;
  }

  private static Map<String, Object> producerConfig(Map<String, Object> kafkaClient) {
    Map<String, Object> p = new HashMap<>(kafkaClient);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "cachepipe-eviction-reports");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    return p;
  }

  /** Whether both parts run: Streams is RUNNING and the eviction step has joined its group. */
  public boolean isReady() {
    return streams.state() == KafkaStreams.State.RUNNING && evictionStep.isAssigned();
  }

  /** Kafka Streams' state (RUNNING when it processes). */
  public KafkaStreams.State state() {
    return streams.state();
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
    streams.close(
        CloseOptions.groupMembershipOperation(GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(Duration.ofSeconds(30)));
    redis.evictor().close();
    evictionStep.stop();
    try {
      evictionThread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    reports.close(Duration.ofSeconds(5));
    redis.close();
  }
}
