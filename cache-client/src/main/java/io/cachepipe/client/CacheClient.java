package io.cachepipe.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.RedisTls;
import io.cachepipe.core.config.Secrets;
import io.cachepipe.core.json.Json;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.core.redis.LuaScripts;
import io.cachepipe.core.redis.VersionedEntry;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The library an application reads through. {@link #get} is read-through caching whose fills are
 * fenced: the versions of the entry's tags are read before the loader runs, and the fill is one Lua
 * script that writes (and registers the key under each tag) only if no version moved. So a reader
 * that loaded an old row while a writer committed can never put it back after the invalidation.
 *
 * <p>Values are JSON (Jackson), never Java serialization. Keys are readable ({@code
 * cp:user_stats:42}). If Redis fails, reads go to the loader and the error is counted. Thread-safe.
 *
 * <p>Against a Redis Cluster ({@link #createCluster}) an entry and its tags live in different
 * slots: a fill is fenced per tag in the tag's slot, and the entry carries the versions it was
 * filled against, which every hit checks ({@link ClusterEntries}).
 */
public final class CacheClient implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CacheClient.class);
  static final String FILL_SCRIPT = LuaScripts.load(CacheClient.class, "fenced_fill.lua");
  private static final String RELEASE_LEASE_SCRIPT =
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end"
          + " return 0";

  private static final long WATERMARK_POLL_NANOS = 500_000;

  private final AbstractRedisClient client;
  private final Supplier<StatefulConnection<String, String>> connector;

  /** Null in standalone mode; the cluster mode's fills and reads otherwise. */
  private final ClusterEntries cluster;

  private final String address;
  private final ObjectMapper mapper;
  private final Duration fillDeadline;
  private final CacheStats stats = new CacheStats();
  private final Object connecting = new Object();
  private volatile StatefulConnection<String, String> connection;
  private volatile RedisClusterCommands<String, String> commands;
  private volatile long nextConnectNanos;
  private volatile String fillSha;

  private CacheClient(
      String redisUri, RedisTls tls, Duration fillDeadline, Duration commandTimeout) {
    RedisURI uri = RedisURI.create(Objects.requireNonNull(redisUri, "redisUri"));
    uri.setTimeout(commandTimeout);
    RedisClient standalone = RedisClient.create(uri);
    // A cache must fail fast: while Redis is unreachable, commands are rejected at once (not
    // queued for a reconnect) and reads go to the loader.
    standalone.setOptions(
        RedisClientOptions.failFast(
                ClientOptions.builder(), commandTimeout, Objects.requireNonNull(tls, "tls"))
            .build());
    this.client = standalone;
    this.connector = standalone::connect;
    this.cluster = null;
    this.address = Secrets.maskCredentials(redisUri);
    this.mapper = Json.mapper();
    this.fillDeadline = fillDeadline;
  }

  private CacheClient(
      List<String> seedUris, RedisTls tls, Duration fillDeadline, Duration commandTimeout) {
    RedisClusterClient clusterClient = ClusterConnections.client(seedUris, tls, commandTimeout);
    this.client = clusterClient;
    this.connector = () -> ClusterConnections.connect(clusterClient);
    this.cluster = new ClusterEntries(commandTimeout);
    this.address = Secrets.maskCredentials(String.join(",", seedUris));
    this.mapper = Json.mapper();
    this.fillDeadline = fillDeadline;
  }

  /** A client of the Redis at {@code redisUri}: 10 s fill deadline, 1 s command timeout. */
  public static CacheClient create(String redisUri) {
    return create(redisUri, Duration.ofSeconds(10));
  }

  /**
   * Like {@link #create(String)}, for a {@code rediss://} URI whose server certificate is checked
   * against the trust store of {@code tls} (e.g. {@code RedisTls.from(settings)}).
   */
  public static CacheClient create(String redisUri, RedisTls tls) {
    return create(redisUri, tls, Duration.ofSeconds(10), Duration.ofSeconds(1));
  }

  /**
   * A client of the Redis at {@code redisUri} with a 1 s command timeout. It connects on first use,
   * so it can be created while Redis is down.
   *
   * @param fillDeadline a fill whose tag versions were read longer ago than this is dropped. Tag
   *     versions are kept far longer (the invalidator's tag version TTL, a day by default), so a
   *     fill can never compare against a version that expired and restarted from zero.
   */
  public static CacheClient create(String redisUri, Duration fillDeadline) {
    return create(redisUri, fillDeadline, Duration.ofSeconds(1));
  }

  /**
   * A client of the Redis at {@code redisUri}.
   *
   * @param fillDeadline see {@link #create(String, Duration)}
   * @param commandTimeout how long a Redis call (and a connection attempt) may take before the read
   *     goes to the loader
   */
  public static CacheClient create(
      String redisUri, Duration fillDeadline, Duration commandTimeout) {
    return create(redisUri, RedisTls.JVM_DEFAULT, fillDeadline, commandTimeout);
  }

  /**
   * A client of the Redis at {@code redisUri}.
   *
   * @param tls what a {@code rediss://} connection trusts
   * @param fillDeadline see {@link #create(String, Duration)}
   * @param commandTimeout see {@link #create(String, Duration, Duration)}
   */
  public static CacheClient create(
      String redisUri, RedisTls tls, Duration fillDeadline, Duration commandTimeout) {
    checkPositive(fillDeadline, commandTimeout);
    return new CacheClient(redisUri, tls, fillDeadline, commandTimeout);
  }

  /**
   * A client of the Redis Cluster that {@code seedUris} belong to (the rest is discovered from
   * them): 10 s fill deadline, 1 s command timeout. Entries are stored as {@link
   * io.cachepipe.core.redis.VersionedEntry}s, and a hit costs one more round trip, an MGET of the
   * versions the entry carries (see {@link #get}).
   */
  public static CacheClient createCluster(List<String> seedUris) {
    return createCluster(seedUris, Duration.ofSeconds(10), Duration.ofSeconds(1));
  }

  /** Like {@link #createCluster(List, RedisTls, Duration, Duration)}, trusting the JVM's CAs. */
  public static CacheClient createCluster(
      List<String> seedUris, Duration fillDeadline, Duration commandTimeout) {
    return createCluster(seedUris, RedisTls.JVM_DEFAULT, fillDeadline, commandTimeout);
  }

  /**
   * A client of a Redis Cluster.
   *
   * @param seedUris a few of its nodes ({@code redis://host:port}, {@code rediss://} for TLS)
   * @param tls what a {@code rediss://} connection trusts
   * @param fillDeadline see {@link #create(String, Duration)}
   * @param commandTimeout see {@link #create(String, Duration, Duration)}
   */
  public static CacheClient createCluster(
      List<String> seedUris, RedisTls tls, Duration fillDeadline, Duration commandTimeout) {
    checkPositive(fillDeadline, commandTimeout);
    return new CacheClient(List.copyOf(seedUris), tls, fillDeadline, commandTimeout);
  }

  /**
   * A client of the Redis of {@code connections}, trusting its TLS settings: {@link
   * #createCluster(List)} of its seed nodes in cluster mode, else {@link #create(String)}.
   */
  public static CacheClient create(Connections connections) {
    Duration fillDeadline = Duration.ofSeconds(10);
    Duration commandTimeout = Duration.ofSeconds(1);
    return connections.redisCluster()
        ? createCluster(
            connections.redisUris(), connections.redisTls(), fillDeadline, commandTimeout)
        : create(connections.redisUri(), connections.redisTls(), fillDeadline, commandTimeout);
  }

  private static void checkPositive(Duration fillDeadline, Duration commandTimeout) {
    if (fillDeadline.isNegative() || fillDeadline.isZero()) {
      throw new IllegalArgumentException("fillDeadline must be positive");
    }
    if (commandTimeout.isNegative() || commandTimeout.isZero()) {
      throw new IllegalArgumentException("commandTimeout must be positive");
    }
  }

  /** Whether this is a client of a Redis Cluster. */
  public boolean isCluster() {
    return cluster != null;
  }

  /**
   * The connection's commands, opened on first use. After a failed attempt, calls fail at once for
   * a second rather than each waiting for a connect timeout.
   */
  private RedisClusterCommands<String, String> redis() {
    RedisClusterCommands<String, String> c = commands;
    if (c != null) {
      return c;
    }
    connection();
    return commands;
  }

  /** The connection, opened on first use (see {@link #redis()}). */
  private StatefulConnection<String, String> connection() {
    StatefulConnection<String, String> c = connection;
    if (c != null) {
      return c;
    }
    synchronized (connecting) {
      if (connection == null) {
        if (System.nanoTime() < nextConnectNanos) {
          throw new RedisConnectionException("Redis unreachable; next connection attempt soon");
        }
        try {
          StatefulConnection<String, String> opened = connector.get();
          commands =
              opened instanceof StatefulRedisClusterConnection<String, String> clustered
                  ? clustered.sync()
                  : ((StatefulRedisConnection<String, String>) opened).sync();
          connection = opened;
        } catch (RedisException e) {
          nextConnectNanos = System.nanoTime() + 1_000_000_000L;
          Throwable cause = e;
          while (cause.getCause() != null) {
            cause = cause.getCause();
          }
          // Redis' own reason (WRONGPASS, connection refused), and the address without credentials.
          throw new RedisConnectionException(
              "cannot connect to Redis at " + address + ": " + cause.getMessage(), e);
        }
      }
      return connection;
    }
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
    String cached;
    try {
      cached = redis().get(key);
    } catch (RedisException e) {
      stats.redisErrors.increment();
      LOG.warn("cache read of {} failed, loading from source: {}", key, e.getMessage());
      return load(key, loader);
    }
    if (cached != null && cluster == null) {
      try {
        T value = mapper.readValue(cached, type);
        stats.hits.increment();
        return value;
      } catch (JsonProcessingException e) {
        LOG.warn(
            "cached {} is not a {}: reloading ({})",
            key,
            type.getSimpleName(),
            e.getOriginalMessage());
      }
    } else if (cached != null) {
      try {
        VersionedEntry entry = ClusterEntries.current(redis(), cached);
        if (entry != null) {
          T value = mapper.treeToValue(entry.value(), type);
          stats.hits.increment();
          return value;
        }
      } catch (JsonProcessingException | IllegalArgumentException e) {
        LOG.warn(
            "cached {} is not a {}: reloading ({})", key, type.getSimpleName(), e.getMessage());
      } catch (RedisException e) {
        stats.redisErrors.increment();
        LOG.warn("cache read of {} failed, loading from source: {}", key, e.getMessage());
        return load(key, loader);
      }
    }
    stats.misses.increment();
    TagVersions versions;
    try {
      versions = versions(tags);
    } catch (RedisException e) {
      stats.redisErrors.increment();
      return load(key, loader);
    }
    T value = load(key, loader);
    if (value != null) {
      fill(key, versions, ttl, value);
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
    long deadline = System.nanoTime() + maxWait.toNanos();
    boolean waited = false;
    try {
      while (watermark() < token.lsn()) {
        if (System.nanoTime() >= deadline) {
          stats.ownWriteBypasses.increment();
          return load(key, loader);
        }
        waited = true;
        LockSupport.parkNanos(WATERMARK_POLL_NANOS);
      }
    } catch (RedisException e) {
      stats.redisErrors.increment();
      stats.ownWriteBypasses.increment();
      return load(key, loader);
    } finally {
      if (waited) {
        stats.ownWriteWaits.increment();
      }
    }
    return get(key, tags, ttl, loader, type);
  }

  /** The invalidator's read-your-writes watermark, or -1 if it has none yet. */
  public long watermark() {
    String value = redis().get(CacheKeys.watermark());
    return value == null ? -1 : Long.parseLong(value);
  }

  /**
   * Reads the current versions of {@code tags} and the cache epoch. Call it BEFORE reading the
   * value from the source of truth, then {@link #fill} with the result.
   */
  public TagVersions versions(Collection<String> tags) {
    List<String> tagList = List.copyOf(tags);
    List<String> keys = TagVersions.keysOf(tagList);
    List<String> versions = new ArrayList<>(keys.size());
    for (KeyValue<String, String> kv : redis().mget(keys.toArray(String[]::new))) {
      versions.add(kv.getValueOrElse("0"));
    }
    return new TagVersions(tagList, keys, versions, System.nanoTime());
  }

  /**
   * Writes {@code value} under {@code key} if none of the tags in {@code versions} was evicted
   * since they were read and the deadline has not passed.
   *
   * @return whether it was written; false is normal under concurrent writes
   */
  public boolean fill(String key, TagVersions versions, Duration ttl, Object value) {
    if (System.nanoTime() - versions.readAtNanos() > fillDeadline.toNanos()) {
      stats.fillsRejected.increment();
      return false;
    }
    String json;
    try {
      json = mapper.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("value of " + key + " cannot be written as JSON", e);
    }
    try {
      boolean written;
      if (cluster == null) {
        FillCall call = fillCall(key, versions, ttl, json);
        written = runFill(call.keys(), call.args());
      } else {
        written = cluster.fill(clusterAsync(), key, versions, Math.max(1, ttl.toMillis()), json);
      }
      (written ? stats.fillsAccepted : stats.fillsRejected).increment();
      return written;
    } catch (RedisException e) {
      stats.redisErrors.increment();
      LOG.warn("cache fill of {} failed: {}", key, e.getMessage());
      return false;
    }
  }

  /** The keys and arguments of the fill script (fenced_fill.lua) for one entry. */
  record FillCall(String[] keys, String[] args) {}

  /**
   * The fill script's keys (the entry, then each version key, then each tag's registry) and
   * arguments (the value, the TTL in milliseconds, the version count, the registry count, then each
   * version read).
   */
  static FillCall fillCall(String key, TagVersions versions, Duration ttl, String json) {
    int n = versions.versionKeys().size();
    int m = versions.tags().size();
    String[] keys = new String[1 + n + m];
    String[] args = new String[4 + n];
    keys[0] = key;
    args[0] = json;
    args[1] = Long.toString(Math.max(1, ttl.toMillis()));
    args[2] = Integer.toString(n);
    args[3] = Integer.toString(m);
    for (int i = 0; i < n; i++) {
      keys[1 + i] = versions.versionKeys().get(i);
      args[4 + i] = versions.versions().get(i);
    }
    for (int j = 0; j < m; j++) {
      keys[1 + n + j] = CacheKeys.tagRegistry(versions.tags().get(j));
    }
    return new FillCall(keys, args);
  }

  private RedisClusterAsyncCommands<String, String> clusterAsync() {
    return ((StatefulRedisClusterConnection<String, String>) connection()).async();
  }

  private boolean runFill(String[] keys, String[] args) {
    RedisClusterCommands<String, String> redis = redis();
    if (fillSha == null) {
      fillSha = redis.scriptLoad(FILL_SCRIPT);
    }
    Long result;
    try {
      result = redis.evalsha(fillSha, ScriptOutputType.INTEGER, keys, args);
    } catch (RedisNoScriptException e) {
      fillSha = redis.scriptLoad(FILL_SCRIPT);
      result = redis.evalsha(fillSha, ScriptOutputType.INTEGER, keys, args);
    }
    return result != null && result == 1L;
  }

  private static <T> T load(String key, Loader<T> loader) {
    try {
      return loader.load();
    } catch (Exception e) {
      throw new CacheLoadException(key, e);
    }
  }

  /**
   * Takes the warm lease of the entry {@code key} for {@code ttl} if no one holds it, so that of
   * several processes recomputing entries (the warmer's instances) one at a time recomputes it.
   *
   * @return the token that releases it ({@link #releaseLease}), or null while another holds it
   * @throws RedisException if Redis fails
   */
  public String tryLease(String key, Duration ttl) {
    String token = UUID.randomUUID().toString();
    String ok =
        redis()
            .set(
                CacheKeys.warmLease(key),
                token,
                SetArgs.Builder.nx().px(Math.max(1, ttl.toMillis())));
    return "OK".equals(ok) ? token : null;
  }

  /**
   * Releases the warm lease of {@code key} if {@code token} still holds it (it may have expired).
   */
  public void releaseLease(String key, String token) {
    try {
      redis()
          .eval(
              RELEASE_LEASE_SCRIPT,
              ScriptOutputType.INTEGER,
              new String[] {CacheKeys.warmLease(key)},
              token);
    } catch (RedisException e) {
      stats.redisErrors.increment();
      LOG.debug("releasing the warm lease of {} failed (it expires): {}", key, e.getMessage());
    }
  }

  public CacheStats stats() {
    return stats;
  }

  @Override
  public void close() {
    StatefulConnection<String, String> c = connection;
    if (c != null) {
      c.close();
    }
    client.shutdown();
  }
}
