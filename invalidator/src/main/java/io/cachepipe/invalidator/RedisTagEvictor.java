package io.cachepipe.invalidator;

import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.core.redis.LuaScripts;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evicts tags with one preloaded Lua script per tag (EVALSHA), all tags of a batch pipelined in one
 * round trip: no KEYS, no SCAN, cost proportional to the entries under the tags, not to the
 * keyspace. While Redis is unreachable it retries the batch with backoff and does not return, so no
 * invalidation is committed past an unapplied eviction. Owns its connection: not thread-safe.
 */
public final class RedisTagEvictor implements TagEvictor {

  private static final Logger LOG = LoggerFactory.getLogger(RedisTagEvictor.class);
  static final String SCRIPT = LuaScripts.load(RedisTagEvictor.class, "evict_tag.lua");

  private final StatefulRedisConnection<String, String> connection;
  private final RedisAsyncCommands<String, String> redis;
  private final String versionTtlMillis;
  private final Duration maxBackoff;
  private final Duration timeout;
  private String sha;
  private volatile boolean closed;

  /**
   * @param connection a connection only this evictor uses
   * @param versionTtl how long a tag version outlives its last bump; far longer than any fill
   * @param maxBackoff the longest wait between retries while Redis is unreachable
   */
  public RedisTagEvictor(
      StatefulRedisConnection<String, String> connection,
      Duration versionTtl,
      Duration maxBackoff) {
    this.connection = connection;
    this.redis = connection.async();
    this.versionTtlMillis = Long.toString(versionTtl.toMillis());
    this.maxBackoff = maxBackoff;
    this.timeout = Duration.ofSeconds(10);
  }

  @Override
  public Map<String, List<String>> evict(Collection<String> tags) {
    long backoffMillis = 50;
    while (true) {
      try {
        return pipelined(tags);
      } catch (RedisException | ExecutionException | TimeoutException e) {
        if (closed) {
          throw new IllegalStateException(
              "evictor closed with " + tags.size() + " tags unapplied", e);
        }
        Throwable cause =
            e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof RedisNoScriptException) {
          sha = null; // Redis restarted or flushed its scripts: load it again, retry at once
          continue;
        }
        LOG.warn(
            "evicting {} tags (first {}) failed, retrying in {} ms: {}",
            tags.size(),
            tags.iterator().next(),
            backoffMillis,
            cause.getMessage());
        sleep(backoffMillis);
        backoffMillis = Math.min(backoffMillis * 2, maxBackoff.toMillis());
      }
    }
  }

  private Map<String, List<String>> pipelined(Collection<String> tags)
      throws ExecutionException, TimeoutException {
    if (sha == null) {
      sha = await(redis.scriptLoad(SCRIPT));
    }
    Map<String, RedisFuture<List<Object>>> calls = new LinkedHashMap<>();
    connection.setAutoFlushCommands(false);
    try {
      for (String tag : tags) {
        String[] keys = {CacheKeys.tagRegistry(tag), CacheKeys.tagVersion(tag)};
        calls.put(tag, redis.evalsha(sha, ScriptOutputType.MULTI, keys, versionTtlMillis));
      }
      connection.flushCommands();
    } finally {
      connection.setAutoFlushCommands(true);
    }
    Map<String, List<String>> live = new LinkedHashMap<>();
    for (var call : calls.entrySet()) {
      List<Object> keys = await(call.getValue());
      List<String> existed = new ArrayList<>(keys.size());
      keys.forEach(k -> existed.add(String.valueOf(k)));
      live.put(call.getKey(), existed);
    }
    return live;
  }

  private <T> T await(RedisFuture<T> future) throws ExecutionException, TimeoutException {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while evicting", e);
    }
  }

  /** Makes a retry loop in progress give up (at shutdown); its batch stays uncommitted. */
  void close() {
    closed = true;
  }

  private void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for Redis", e);
    }
  }
}
