package io.cachepipe.redis.evict;

import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.redis.CacheScripts;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;

/**
 * Entries as the evictors' tests put them in Redis: registered directly, as a fill registers them
 * (a registry member scored by the entry's expiry), or through the fill script itself, fenced by
 * the tag's version read before.
 */
final class CacheEntries {

  static final Duration TTL = Duration.ofHours(1);

  private final RedisClusterCommands<String, String> redis;

  CacheEntries(RedisClusterCommands<String, String> redis) {
    this.redis = redis;
  }

  /** Caches {@code key} with {@code value} under {@code tag}, unfenced. */
  void cache(String key, String tag, String value) {
    redis.set(key, value, SetArgs.Builder.px(TTL.toMillis()));
    register(key, tag);
  }

  void cache(String key, String tag) {
    cache(key, tag, "{\"id\":1}");
  }

  /** Registers {@code key} under {@code tag} without caching it. */
  void register(String key, String tag) {
    redis.zadd(CacheKeys.tagRegistry(tag), System.currentTimeMillis() + TTL.toMillis(), key);
  }

  /** The version of {@code tag} now, as a reader takes it before loading ("0" if none). */
  String version(String tag) {
    String version = redis.get(CacheKeys.tagVersion(tag));
    return version == null ? "0" : version;
  }

  /**
   * Fills {@code key} with {@code value} under {@code tag} through {@code fenced_fill.lua} (a Redis
   * server), if the tag's version is still {@code version}.
   *
   * @return whether it was written
   */
  boolean fill(String key, String tag, String version, String value) {
    Long written =
        CacheScripts.FENCED_FILL.run(
            redis,
            ScriptOutputType.INTEGER,
            new String[] {key, CacheKeys.tagVersion(tag), CacheKeys.tagRegistry(tag)},
            value,
            Long.toString(TTL.toMillis()),
            "1",
            "1",
            version);
    return written == 1L;
  }
}
