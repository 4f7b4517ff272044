package io.cachepipe.bench;

import io.cachepipe.core.json.Json;
import io.cachepipe.demo.DemoDatabase;
import io.cachepipe.demo.DemoWorkload;
import io.cachepipe.demo.UserStats;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/**
 * The caching recipe cachepipe replaces, as a {@link DemoWorkload.StatsReader}: cache-aside with a
 * TTL and nothing else. A read GETs the entry; on a miss it loads from PostgreSQL and SETs it with
 * the TTL. No write invalidates it. Its keys ({@value #PREFIX}…) are apart from cachepipe's, which
 * evictions never touch.
 */
final class TtlOnlyCache implements DemoWorkload.StatsReader, AutoCloseable {

  static final String PREFIX = "ttl-only:";

  private final StatsPeek redis;
  private final DemoDatabase db;
  private final long ttlSeconds;
  final LongAdder hits = new LongAdder();
  final LongAdder misses = new LongAdder();

  TtlOnlyCache(String redisUri, DemoDatabase db, Duration ttl) {
    this.redis = new StatsPeek(redisUri, authorId -> PREFIX + "user_stats:" + authorId);
    this.db = db;
    this.ttlSeconds = Math.max(1, ttl.toSeconds());
  }

  @Override
  public UserStats read(long authorId) throws Exception {
    UserStats cached = redis.cached(authorId);
    if (cached != null) {
      hits.increment();
      return cached;
    }
    misses.increment();
    UserStats loaded = db.userStats(authorId);
    redis.redis().setex(redis.key(authorId), ttlSeconds, Json.mapper().writeValueAsString(loaded));
    return loaded;
  }

  /** Its entries as they are, to look at without loading. */
  StatsPeek peek() {
    return redis;
  }

  @Override
  public void close() {
    redis.close();
  }
}
