package io.cachepipe.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.RedisTls;
import io.cachepipe.core.json.Json;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.redis.LazyConnection;
import io.cachepipe.redis.RedisConnector;
import io.lettuce.core.RedisException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The library an application reads through. {@link #get} is read-through caching whose fills are
 * fenced: the versions of the entry's tags are read before the loader runs, and the fill writes
 * (and registers the key under each tag) only if no version moved. So a reader that loaded an old
 * row while a writer committed can never put it back after the invalidation.
 *
 * <p>Values are JSON (Jackson), never Java serialization. Keys are readable ({@code
 * cp:user_stats:42}). If Redis fails, reads go to the loader and the error is counted. It connects
 * on first use, so it can be created while Redis is down. Thread-safe.
 *
 * <p>Against a Redis Cluster ({@link Builder#cluster}) an entry and its tags live in different
 * slots: a fill is fenced per tag in the tag's slot, and the entry carries the versions it was
 * filled against, which every hit checks with one more round trip ({@link ClusterEntries}).
 */
public final class CacheClient implements AutoCloseable {

  /**
   * A fill whose tag versions were read longer ago than this is dropped. Tag versions are kept far
   * longer (the invalidator's tag version TTL, a day by default), so a fill can never compare
   * against a version that expired and restarted from zero.
   */
  public static final Duration DEFAULT_FILL_DEADLINE = Duration.ofSeconds(10);

  /** How long a Redis call (or a connection attempt) may take before a read goes to the loader. */
  public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(1);

  private final LazyConnection connection;
  private final RedisReads redisReads;
  private final WatermarkWait ownWrites;
  private final CacheStats stats = new CacheStats();
  private final NearTier near;

  private CacheClient(
      RedisConnector redis,
      Duration fillDeadline,
      Duration commandTimeout,
      NearCacheOptions nearCache) {
    this.connection = new LazyConnection(redis);
    ObjectMapper mapper = Json.mapper();
    FencedEntries entries =
        redis.isCluster()
            ? new ClusterEntries(mapper, commandTimeout)
            : new StandaloneEntries(mapper);
    this.redisReads = new RedisReads(connection, entries, mapper, fillDeadline, stats);
    this.ownWrites = new WatermarkWait(connection, stats);
    this.near =
        nearCache == null
            ? null
            : new NearTier(new NearCache(nearCache, fillDeadline), connection, mapper);
  }

  /** A client of the Redis at {@code redisUri}, with the default options. */
  public static CacheClient create(String redisUri) {
    return builder().redisUri(redisUri).build();
  }

  /** Options for a client; only its Redis (URI, cluster seeds or connections) has no default. */
  public static Builder builder() {
    return new Builder();
  }

  /** Whether this is a client of a Redis Cluster. */
  public boolean isCluster() {
    return connection.isCluster();
  }

  /**
   * Returns the cached value of {@code key}, or loads it, caches it under {@code tags} for {@code
   * ttl} (unless a tag was evicted meanwhile) and returns it.
   *
   * @param key the entry's readable key, e.g. {@link CacheKeys#entry CacheKeys.entry("user_stats",
   *     42)}
   * @param tags what the entry depends on ({@code user:42}); an eviction of any of them deletes it
   * @param ttl how long the entry may live without an eviction
   * @param loader reads the value from the source of truth
   * @param type the value's type, mapped to and from JSON
   * @throws CacheLoadException if the loader fails
   */
  public <T> T get(
      String key, Collection<String> tags, Duration ttl, Loader<T> loader, Class<T> type) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(loader, "loader");
    Objects.requireNonNull(type, "type");
    T hit = near == null ? null : near.hit(key, type);
    return hit != null ? hit : throughRedis(key, tags, ttl, loader, type);
  }

  /** Reads through Redis, and stores what it read in the near cache if that may take it. */
  private <T> T throughRedis(
      String key, Collection<String> tags, Duration ttl, Loader<T> loader, Class<T> type) {
    NearFill nearFill = near == null ? null : near.begin(List.copyOf(tags));
    T value = redisReads.get(key, tags, ttl, loader, type);
    if (nearFill != null && value != null) {
      near.fill(key, nearFill, value);
    }
    return value;
  }

  /**
   * Reads through the cache like {@link #get}, but never returns a value older than the write that
   * {@code token} stands for: it serves from the cache once the invalidator's watermark has reached
   * the token (so that write's evictions are done), waiting up to {@code maxWait} for it; if the
   * watermark does not come in time, or Redis fails, it reads from {@code loader} without caching.
   *
   * @param token from {@link WriteToken#commit} on the writer's connection
   * @param maxWait how long to wait for the watermark before going to the loader
   */
  public <T> T getAfter(
      WriteToken token,
      Duration maxWait,
      String key,
      Collection<String> tags,
      Duration ttl,
      Loader<T> loader,
      Class<T> type) {
    Objects.requireNonNull(token, "token");
    if (near != null && near.cache().caughtUpPosition() >= token.lsn()) {
      T hit = near.hit(key, type); // the tier has applied every change before the token
      if (hit != null) {
        return hit;
      }
    }
    boolean reached;
    try {
      reached = ownWrites.reached(token, maxWait);
    } catch (RedisException e) {
      stats.redisErrors.increment();
      reached = false;
    }
    if (!reached) {
      stats.ownWriteBypasses.increment();
      return RedisReads.load(key, loader);
    }
    return throughRedis(key, tags, ttl, loader, type);
  }

  /** The invalidator's read-your-writes watermark, or -1 if it has none yet. */
  public long watermark() {
    return ownWrites.watermark();
  }

  /**
   * Reads the current versions of {@code tags} and the cache epoch. Call it BEFORE reading the
   * value from the source of truth, then {@link #fill} with the result.
   */
  public TagVersions versions(Collection<String> tags) {
    return redisReads.versions(tags);
  }

  /**
   * Writes {@code value} under {@code key} if none of the tags in {@code versions} was evicted
   * since they were read and the deadline has not passed.
   *
   * @return whether it was written; false is normal under concurrent writes
   */
  public boolean fill(String key, TagVersions versions, Duration ttl, Object value) {
    return redisReads.fill(key, versions, ttl, value);
  }

  public CacheStats stats() {
    return stats;
  }

  /** The near cache, if this client has one ({@link Builder#nearCache}). */
  public Optional<NearCache> nearCache() {
    return near == null ? Optional.empty() : Optional.of(near.cache());
  }

  @Override
  public void close() {
    if (near != null) {
      near.cache().close();
    }
    connection.close();
  }

  /**
   * What a {@link CacheClient} connects to and how long it waits; each option has a default ({@code
   * DEFAULT_*}) but the Redis to connect to. Not thread-safe; the client it builds is.
   */
  public static final class Builder {

    private final RedisConnector.Builder redis = RedisConnector.builder();
    private Duration fillDeadline = DEFAULT_FILL_DEADLINE;
    private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;
    private NearCacheOptions nearCache;

    private Builder() {}

    /** A Redis server: {@code redis://[user:password@]host:port}, {@code rediss://} for TLS. */
    public Builder redisUri(String redisUri) {
      redis.redisUri(redisUri);
      return this;
    }

    /**
     * A Redis Cluster, from a few of its nodes ({@code redis://host:port}, {@code rediss://} for
     * TLS); the rest is discovered from them. Entries are stored as {@link
     * io.cachepipe.core.redis.VersionedEntry}s, and a hit costs one more round trip, an MGET of the
     * versions the entry carries.
     */
    public Builder cluster(List<String> seedUris) {
      redis.cluster(seedUris);
      return this;
    }

    /** The Redis of {@code connections}: a server or a cluster as its mode says, and its TLS. */
    public Builder connections(Connections connections) {
      redis.connections(connections);
      return this;
    }

    /** What {@code rediss://} trusts (e.g. {@code RedisTls.from(settings)}); else the JVM CAs. */
    public Builder tls(RedisTls tls) {
      redis.tls(tls);
      return this;
    }

    /** See {@link #DEFAULT_FILL_DEADLINE}. */
    public Builder fillDeadline(Duration fillDeadline) {
      this.fillDeadline = positive(fillDeadline, "fillDeadline");
      return this;
    }

    /** See {@link #DEFAULT_COMMAND_TIMEOUT}. */
    public Builder commandTimeout(Duration commandTimeout) {
      this.commandTimeout = positive(commandTimeout, "commandTimeout");
      return this;
    }

    /**
     * Adds the near cache, an in-process tier in front of Redis kept fresh by the invalidations
     * topic (off by default): see {@link NearCacheOptions} for its staleness bound.
     */
    public Builder nearCache(NearCacheOptions nearCache) {
      this.nearCache = Objects.requireNonNull(nearCache, "nearCache");
      return this;
    }

    /**
     * The client; it connects on first use.
     *
     * @throws IllegalArgumentException if no Redis was named, or its URI is malformed
     */
    public CacheClient build() {
      return new CacheClient(
          redis.timeout(commandTimeout).build(), fillDeadline, commandTimeout, nearCache);
    }

    static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, got " + d);
      }
      return d;
    }
  }
}
