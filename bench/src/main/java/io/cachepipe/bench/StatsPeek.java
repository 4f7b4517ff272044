package io.cachepipe.bench;

import io.cachepipe.core.json.Json;
import io.cachepipe.demo.UserStats;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.function.LongFunction;

/**
 * What a cache holds for an author's stats, read straight from Redis without loading or filling:
 * the value under the author's key, as JSON (cachepipe's entries and the TTL-only cache's alike),
 * or null when there is none.
 */
final class StatsPeek implements AutoCloseable {

  private final RedisClient client;
  private final StatefulRedisConnection<String, String> connection;
  private final LongFunction<String> key;

  StatsPeek(String redisUri, LongFunction<String> key) {
    this.client = RedisClient.create(redisUri);
    this.connection = client.connect();
    this.key = key;
  }

  /** The cached stats of {@code authorId}, or null. */
  UserStats cached(long authorId) throws Exception {
    String json = connection.sync().get(key.apply(authorId));
    return json == null ? null : Json.mapper().readValue(json, UserStats.class);
  }

  String key(long authorId) {
    return key.apply(authorId);
  }

  RedisCommands<String, String> redis() {
    return connection.sync();
  }

  @Override
  public void close() {
    connection.close();
    client.shutdown();
  }
}
