package io.cachepipe.auditor;

import io.cachepipe.core.redis.CacheKeys;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.ScoredValueScanCursor;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.util.function.BiConsumer;

/**
 * Walks the cached entries through the tag registries: SCAN for the registries ({@link
 * CacheKeys#TAG_REGISTRY_PATTERN}), ZSCAN of each (a registry is a sorted set of entry keys, scored
 * by their expiry). Both are cursors, so Redis is never blocked for longer than one page, whatever
 * the size of the keyspace or of a registry (never {@code KEYS}). An entry with several tags is met
 * once per tag. Registries an eviction moved aside to delete in chunks are not walked: their
 * entries are being deleted. Keys changed during the walk may be met or not, as SCAN promises: the
 * walk is a view of a live cache, not a snapshot.
 *
 * <p>On a Redis Cluster connection, Lettuce's SCAN walks every master in turn, and each ZSCAN goes
 * to the node that owns its registry.
 */
final class TagRegistries {

  /** Keys asked for per SCAN or ZSCAN call (a hint to Redis). */
  static final int PAGE = 1000;

  private TagRegistries() {}

  /** Calls {@code action} with (registry key, entry key) for every registered entry key. */
  static void forEach(
      RedisClusterCommands<String, String> redis, BiConsumer<String, String> action) {
    ScanArgs registries = ScanArgs.Builder.matches(CacheKeys.TAG_REGISTRY_PATTERN).limit(PAGE);
    KeyScanCursor<String> page = redis.scan(registries);
    while (true) {
      for (String registry : page.getKeys()) {
        members(redis, registry, action);
      }
      if (page.isFinished()) {
        return;
      }
      page = redis.scan(page, registries);
    }
  }

  private static void members(
      RedisClusterCommands<String, String> redis,
      String registry,
      BiConsumer<String, String> action) {
    ScanArgs args = ScanArgs.Builder.limit(PAGE);
    ScoredValueScanCursor<String> page = redis.zscan(registry, args);
    while (true) {
      for (ScoredValue<String> key : page.getValues()) {
        action.accept(registry, key.getValue());
      }
      if (page.isFinished()) {
        return;
      }
      page = redis.zscan(registry, page, args);
    }
  }
}
