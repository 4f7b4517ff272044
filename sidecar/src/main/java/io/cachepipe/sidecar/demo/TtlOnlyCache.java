package io.cachepipe.sidecar.demo;

import io.cachepipe.core.json.Json;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
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

  private final RedisClient client;
  private final StatefulRedisConnection<String, String> connection;
  private final RedisCommands<String, String> redis;
  private final DemoDatabase db;
  private final long ttlSeconds;
  final LongAdder hits = new LongAdder();
  final LongAdder misses = new LongAdder();

  TtlOnlyCache(String redisUri, DemoDatabase db, Duration ttl) {
    this.client = RedisClient.create(redisUri);
    this.connection = client.connect();
    this.redis = connection.sync();
    this.db = db;
    this.ttlSeconds = Math.max(1, ttl.toSeconds());
  }

  @Override
  public UserStats read(long authorId) throws Exception {
    String key = PREFIX + "user_stats:" + authorId;
    String cached = redis.get(key);
    if (cached != null) {
      hits.increment();
      return Json.mapper().readValue(cached, UserStats.class);
    }
    misses.increment();
    UserStats loaded = db.userStats(authorId);
    redis.setex(key, ttlSeconds, Json.mapper().writeValueAsString(loaded));
    return loaded;
  }

  @Override
  public void close() {
    connection.close();
    client.shutdown();
  }
}
