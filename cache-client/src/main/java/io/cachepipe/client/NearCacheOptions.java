package io.cachepipe.client;

import io.cachepipe.core.config.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Options of the near cache, the optional in-process tier of a {@link CacheClient} (off unless
 * {@link CacheClient.Builder#nearCache} is given one). Immutable; {@link #builder} makes one, and
 * every option but the Kafka bootstrap servers has a documented default ({@code DEFAULT_*}).
 *
 * <p>The tier serves an entry only while it knows it is current: its consumer of the invalidations
 * topic owns every partition, has a watermark from every source in each, and the oldest of those
 * watermarks was written at most {@link #maxStaleness} ago. Otherwise reads bypass it to Redis. So
 * an entry it serves misses at most the changes captured in the last {@code maxStaleness} (plus the
 * skew between this host's clock and the cdc stage's).
 */
public final class NearCacheOptions {

  /** How many entries the tier holds at most. */
  public static final long DEFAULT_MAXIMUM_SIZE = 10_000;

  /** How long an entry stays in the tier after its fill, whatever happens. */
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(60);

  /**
   * The staleness bound: the tier serves only while the oldest of its consumer's newest watermarks
   * was written at most this long ago. The pipeline writes watermarks every 100 ms while changes
   * flow and on every cdc heartbeat ({@code cachepipe.cdc.heartbeat.interval.ms}, 10 s by default)
   * when the watched tables are idle: with a bound below the heartbeat the tier bypasses itself
   * while nothing changes.
   */
  public static final Duration DEFAULT_MAX_STALENESS = Duration.ofSeconds(2);

  /**
   * The prefix of the consumer group: each client has a group of its own (a random suffix), as it
   * must see every partition. The groups of clients that stopped stay on the broker until it
   * forgets their offsets ({@code offsets.retention.minutes}, 7 days by default).
   */
  public static final String DEFAULT_GROUP_PREFIX = "cachepipe-near";

  private final String bootstrapServers;
  private final String topic;
  private final String groupPrefix;
  private final Map<String, Object> kafkaProperties;
  private final long maximumSize;
  private final Duration ttl;
  private final Duration maxStaleness;
  private final boolean fenced;

  private NearCacheOptions(Builder b) {
    this.bootstrapServers = b.bootstrapServers;
    this.topic = b.topic;
    this.groupPrefix = b.groupPrefix;
    this.kafkaProperties = Map.copyOf(b.kafkaProperties);
    this.maximumSize = b.maximumSize;
    this.ttl = b.ttl;
    this.maxStaleness = b.maxStaleness;
    this.fenced = b.fenced;
  }

  /** Options with defaults, reading the invalidations topic from {@code bootstrapServers}. */
  public static Builder builder(String bootstrapServers) {
    return new Builder(bootstrapServers);
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  public String topic() {
    return topic;
  }

  public String groupPrefix() {
    return groupPrefix;
  }

  public Map<String, Object> kafkaProperties() {
    return kafkaProperties;
  }

  public long maximumSize() {
    return maximumSize;
  }

  public Duration ttl() {
    return ttl;
  }

  public Duration maxStaleness() {
    return maxStaleness;
  }

  /** Whether the tier's fills are fenced; always, except to show what the fence prevents. */
  public boolean fenced() {
    return fenced;
  }

  /** Builds {@link NearCacheOptions}. Not thread-safe. */
  public static final class Builder {
    private final String bootstrapServers;
    private String topic = Topics.INVALIDATIONS.defaultValue();
    private String groupPrefix = DEFAULT_GROUP_PREFIX;
    private final Map<String, Object> kafkaProperties = new HashMap<>();
    private long maximumSize = DEFAULT_MAXIMUM_SIZE;
    private Duration ttl = DEFAULT_TTL;
    private Duration maxStaleness = DEFAULT_MAX_STALENESS;
    private boolean fenced = true;

    private Builder(String bootstrapServers) {
      if (bootstrapServers == null || bootstrapServers.isBlank()) {
        throw new IllegalArgumentException("bootstrapServers must not be blank");
      }
      this.bootstrapServers = bootstrapServers;
    }

    /** The invalidations topic; {@code cachepipe.invalidations} by default. */
    public Builder topic(String topic) {
      this.topic = Objects.requireNonNull(topic, "topic");
      return this;
    }

    /** See {@link #DEFAULT_GROUP_PREFIX}; a random suffix makes each client's group its own. */
    public Builder groupPrefix(String groupPrefix) {
      this.groupPrefix = Objects.requireNonNull(groupPrefix, "groupPrefix");
      return this;
    }

    /** A Kafka client property for the tier's consumer (security.protocol, sasl.*, ssl.*, …). */
    public Builder kafkaProperty(String key, Object value) {
      kafkaProperties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, key));
      return this;
    }

    /** See {@link #DEFAULT_MAXIMUM_SIZE}. */
    public Builder maximumSize(long maximumSize) {
      if (maximumSize < 1) {
        throw new IllegalArgumentException("maximumSize must be positive, got " + maximumSize);
      }
      this.maximumSize = maximumSize;
      return this;
    }

    /** See {@link #DEFAULT_TTL}. */
    public Builder ttl(Duration ttl) {
      this.ttl = CacheClient.Builder.positive(ttl, "ttl");
      return this;
    }

    /** See {@link #DEFAULT_MAX_STALENESS}. */
    public Builder maxStaleness(Duration maxStaleness) {
      this.maxStaleness = CacheClient.Builder.positive(maxStaleness, "maxStaleness");
      return this;
    }

    /**
     * Turns the tier's fence off: fills are kept even if an invalidation of their tags was applied
     * while they loaded. Only for tests that show what the fence prevents; never in production.
     */
    public Builder unfencedForTests() {
      this.fenced = false;
      return this;
    }

    public NearCacheOptions build() {
      return new NearCacheOptions(this);
    }
  }
}
