package io.cachepipe.invalidator;

import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.core.redis.LuaScripts;
import io.lettuce.core.RedisFuture;
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
import java.util.concurrent.TimeoutException;

/**
 * Evicts tags with one preloaded Lua script per tag (EVALSHA), all tags of a batch pipelined in one
 * round trip: no KEYS, no SCAN, cost proportional to the entries under the tags, not to the
 * keyspace. While Redis is unreachable it retries the batch with backoff and does not return, so no
 * invalidation is committed past an unapplied eviction. Owns its connection: not thread-safe.
 */
public final class RedisTagEvictor extends RetryingTagEvictor {

  static final String SCRIPT = LuaScripts.load(RedisTagEvictor.class, "evict_tag.lua");
  static final String WATERMARK_SCRIPT =
      LuaScripts.load(RedisTagEvictor.class, "advance_watermark.lua");

  private final StatefulRedisConnection<String, String> connection;
  private final RedisAsyncCommands<String, String> redis;

  /**
   * @param connection a connection only this evictor uses
   * @param versionTtl how long a tag version outlives its last bump; far longer than any fill
   * @param maxBackoff the longest wait between retries while Redis is unreachable
   */
  public RedisTagEvictor(
      StatefulRedisConnection<String, String> connection,
      Duration versionTtl,
      Duration maxBackoff) {
    super(connection.async(), SCRIPT, versionTtl, maxBackoff);
    this.connection = connection;
    this.redis = connection.async();
  }

  @Override
  Evicted attempt(Collection<String> tags, Map<String, Long> parts, int expectedParts)
      throws ExecutionException, TimeoutException {
    String sha = evictSha();
    String watermarkSha = parts.isEmpty() ? null : watermarkSha();
    Map<String, RedisFuture<List<Object>>> calls = new LinkedHashMap<>();
    RedisFuture<Long> watermark = null;
    connection.setAutoFlushCommands(false);
    try {
      for (String tag : tags) {
        calls.put(
            tag, redis.evalsha(sha, ScriptOutputType.MULTI, evictKeys(tag), versionTtlMillis));
      }
      if (!parts.isEmpty()) {
        // After the evictions on the same connection: Redis runs them first.
        watermark =
            redis.evalsha(
                watermarkSha,
                ScriptOutputType.INTEGER,
                new String[] {CacheKeys.watermarkParts(), CacheKeys.watermark()},
                watermarkArgs(parts, expectedParts));
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
    return new Evicted(live, watermark == null ? -2 : await(watermark));
  }

  /** The eviction script's keys for {@code tag}: its registry, then its version. */
  static String[] evictKeys(String tag) {
    return new String[] {CacheKeys.tagRegistry(tag), CacheKeys.tagVersion(tag)};
  }

  /** The watermark script's arguments: the expected part count, then each part and its LSN. */
  static String[] watermarkArgs(Map<String, Long> parts, int expectedParts) {
    String[] args = new String[1 + 2 * parts.size()];
    args[0] = Integer.toString(expectedParts);
    int i = 1;
    for (var part : parts.entrySet()) {
      args[i++] = part.getKey();
      args[i++] = Long.toString(part.getValue());
    }
    return args;
  }
}
