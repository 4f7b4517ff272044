package io.cachepipe.invalidator;

import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.redis.CacheKeys;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.util.ArrayList;
import java.util.List;

/**
 * Flushes the whole cache when changes may have been missed (the replication slot was lost): bumps
 * the cache epoch ({@link CacheKeys#epoch}), which fences every fill whose versions were read
 * before, then evicts every registered tag through the invalidator's own per-tag step ({@link
 * RedisTagEvictor}, or {@link ClusterTagEvictor} in a Redis Cluster, where SCAN walks every
 * master), walking the registries with {@code SCAN} (never {@code KEYS}). Every entry cached before
 * becomes a miss; fills after it load what PostgreSQL holds now.
 */
public final class CacheFlush implements AutoCloseable {

  /** Tags evicted per pipelined round trip. */
  private static final int BATCH = 500;

  private final EvictorConnection redis;

  /**
   * What a flush did.
   *
   * @param epoch the cache epoch after it
   * @param tags the tags evicted
   */
  public record Flushed(long epoch, long tags) {}

  private CacheFlush(Settings settings) {
    this.redis =
        EvictorConnection.open(
            Connections.from(settings), InvalidatorConfig.from(settings), "cannot flush the cache");
  }

  /** Connects to the Redis of {@code settings}. */
  public static CacheFlush open(Settings settings) {
    return new CacheFlush(settings);
  }

  /** Bumps the epoch, then evicts every registered tag. */
  public Flushed flushAll() {
    RedisClusterCommands<String, String> commands = redis.commands();
    long epoch = commands.incr(CacheKeys.epoch());
    ScanArgs match = ScanArgs.Builder.matches(CacheKeys.TAG_REGISTRY_PATTERN).limit(BATCH);
    long evicted = 0;
    ScanCursor cursor = ScanCursor.INITIAL;
    do {
      KeyScanCursor<String> page = commands.scan(cursor, match);
      List<String> tags = new ArrayList<>(page.getKeys().size());
      for (String registry : page.getKeys()) {
        tags.add(tagOf(registry));
      }
      if (!tags.isEmpty()) {
        redis.evictor().evict(tags);
        evicted += tags.size();
      }
      cursor = page;
    } while (!cursor.isFinished());
    return new Flushed(epoch, evicted);
  }

  /** The tag of a registry key: {@code cp:tag:{user:42}:keys} is {@code user:42}. */
  static String tagOf(String registry) {
    String head = CacheKeys.tagRegistry("");
    int open = head.indexOf('{') + 1;
    int tail = head.length() - head.indexOf('}');
    return registry.substring(open, registry.length() - tail);
  }

  /** Makes an eviction retry in progress give up, and closes the connections. */
  @Override
  public void close() {
    redis.close();
  }
}
