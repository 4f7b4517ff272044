package io.cachepipe.invalidator;

import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.kafka.TopicCreator;
import io.cachepipe.core.tag.TagRules;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The invalidator stage: the {@link InvalidationTopology} running in Kafka Streams. */
public final class Invalidator implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Invalidator.class);

  private final RedisClient redisClient;
  private final StatefulRedisConnection<String, String> redis;
  private final KafkaStreams streams;
  private final InvalidatorMetrics metrics = new InvalidatorMetrics();

  private Invalidator(Settings settings, Consumer<Throwable> onFailure) {
    InvalidatorConfig config = InvalidatorConfig.from(settings);
    Connections connections = Connections.from(settings);
    Topics topics = Topics.from(settings);
    TagRules rules = TagRules.from(settings);
    TopicCreator.ensure(connections.kafkaBootstrap(), topics);
    this.redisClient = RedisClient.create(connections.redisUri());
    this.redis = redisClient.connect();
    TagEvictor evictor =
        new RedisTagEvictor(redis, config.versionTtl(), config.maxRetryBackoff());
    this.streams =
        new KafkaStreams(
            InvalidationTopology.build(rules, topics, evictor, metrics),
            streamsProperties(config, connections, topics));
    streams.setUncaughtExceptionHandler(
        e -> {
          LOG.error("invalidator stream thread failed: {}", e.getMessage(), e);
          onFailure.accept(e);
          return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    streams.start();
  }

  /**
   * Starts the invalidator.
   *
   * @param onFailure called if a stream thread dies; the sidecar ends the process
   */
  public static Invalidator start(Settings settings, Consumer<Throwable> onFailure) {
    return new Invalidator(settings, onFailure);
  }

  static Properties streamsProperties(
      InvalidatorConfig config, Connections connections, Topics topics) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, connections.kafkaBootstrap());
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
    p.putAll(config.streams());
    return p;
  }

  /** Kafka Streams' state (RUNNING when it processes). */
  public KafkaStreams.State state() {
    return streams.state();
  }

  public InvalidatorMetrics metrics() {
    return metrics;
  }

  @Override
  public void close() {
    streams.close(Duration.ofSeconds(30));
    redis.close();
    redisClient.shutdown();
  }
}
