package io.cachepipe.redis.evict;

import io.cachepipe.core.config.Connections;
import io.cachepipe.core.redis.CacheKeys;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Flushes the whole cache when changes may have been missed (the replication slot was lost): bumps
 * the cache epoch ({@link CacheKeys#epoch}), which fences every fill whose versions were read
 * before, then evicts every tag Redis holds a registry, position or unfinished deletion of, through
 * the eviction step's own per-tag eviction ({@link RedisTagEvictor}, or {@link ClusterTagEvictor}
 * in a Redis Cluster, where SCAN walks every master), walking the tags' keys with {@code SCAN}
 * (never {@code KEYS}). Every entry cached before becomes a miss; fills after it load what
 * PostgreSQL holds now. The evictions are {@linkplain TagEvictor#UNCONDITIONAL unconditional} and
 * forget each tag's position: changes may have been missed because the database's WAL history
 * changed (a restored backup starts again from an earlier position), and a position from the old
 * history must not make an eviction from the new one look already done.
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

  private CacheFlush(EvictorConnection redis) {
    this.redis = redis;
  }

  /**
   * Connects to the Redis of {@code connections}.
   *
   * @param config the evictions' version TTL and retry backoff
   * @throws IllegalStateException if Redis cannot be reached
   */
  public static CacheFlush open(Connections connections, EvictionConfig config) {
    return new CacheFlush(EvictorConnection.open(connections, config, "cannot flush the cache"));
  }

  /**
   * Bumps the epoch, then evicts every tag with a registry, a position or an unfinished deletion. A
   * tag met on several pages of the walk is evicted once per page: harmless, as evictions are.
   */
  public Flushed flushAll() {
    RedisClusterCommands<String, String> commands = redis.commands();
    long epoch = commands.incr(CacheKeys.epoch());
    ScanArgs match = ScanArgs.Builder.matches(CacheKeys.TAG_KEY_PATTERN).limit(BATCH);
    long evicted = 0;
    ScanCursor cursor = ScanCursor.INITIAL;
    do {
      KeyScanCursor<String> page = commands.scan(cursor, match);
      Map<String, Long> tags = new LinkedHashMap<>();
      for (String key : page.getKeys()) {
        String tag = CacheKeys.tagOf(key);
        if (tag != null) {
          tags.put(tag, TagEvictor.UNCONDITIONAL);
        }
      }
      if (!tags.isEmpty()) {
        redis.evictor().evict(tags);
        evicted += tags.size();
      }
      cursor = page;
    } while (!cursor.isFinished());
    return new Flushed(epoch, evicted);
  }

  /** Makes an eviction retry in progress give up, and closes the connections. */
  @Override
  public void close() {
    redis.close();
  }
}
