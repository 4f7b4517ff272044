package io.cachepipe.invalidator;

import io.cachepipe.core.redis.CacheKeys;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evicts a tag with one preloaded Lua script (EVALSHA): no KEYS, no SCAN, cost proportional to the
 * entries under the tag, not to the keyspace. While Redis is unreachable it retries with backoff
 * and does not return, so the invalidation's offset is not committed past an unapplied eviction.
 */
public final class RedisTagEvictor implements TagEvictor {

  private static final Logger LOG = LoggerFactory.getLogger(RedisTagEvictor.class);
  static final String SCRIPT = loadScript();

  private final RedisCommands<String, String> redis;
  private final String versionTtlMillis;
  private final Duration maxBackoff;
  private volatile String sha;

  /**
   * @param connection a connection this evictor may use from the stream thread
   * @param versionTtl how long a tag version outlives its last bump; far longer than any fill
   * @param maxBackoff the longest wait between retries while Redis is unreachable
   */
  public RedisTagEvictor(
      StatefulRedisConnection<String, String> connection, Duration versionTtl, Duration maxBackoff) {
    this.redis = connection.sync();
    this.versionTtlMillis = Long.toString(versionTtl.toMillis());
    this.maxBackoff = maxBackoff;
  }

  @Override
  public List<String> evict(String tag) {
    String[] keys = {CacheKeys.tagRegistry(tag), CacheKeys.tagVersion(tag)};
    long backoffMillis = 50;
    while (true) {
      try {
        return run(keys);
      } catch (RedisException e) {
        LOG.warn(
            "evicting tag {} failed, retrying in {} ms: {}", tag, backoffMillis, e.getMessage());
        sleep(backoffMillis);
        backoffMillis = Math.min(backoffMillis * 2, maxBackoff.toMillis());
      }
    }
  }

  private List<String> run(String[] keys) {
    if (sha == null) {
      sha = redis.scriptLoad(SCRIPT);
    }
    List<Object> result;
    try {
      result = redis.evalsha(sha, ScriptOutputType.MULTI, keys, versionTtlMillis);
    } catch (RedisNoScriptException e) {
      sha = redis.scriptLoad(SCRIPT); // Redis restarted or flushed its scripts
      result = redis.evalsha(sha, ScriptOutputType.MULTI, keys, versionTtlMillis);
    }
    List<String> live = new ArrayList<>(result.size());
    result.forEach(k -> live.add(String.valueOf(k)));
    return live;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for Redis", e);
    }
  }

  private static String loadScript() {
    try (InputStream in = RedisTagEvictor.class.getResourceAsStream("evict_tag.lua")) {
      if (in == null) {
        throw new IllegalStateException("evict_tag.lua is missing from the class path");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
