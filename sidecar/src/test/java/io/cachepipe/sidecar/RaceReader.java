package io.cachepipe.sidecar;

import io.cachepipe.client.CacheClient;
import io.cachepipe.core.json.Json;
import io.cachepipe.core.redis.CacheKeys;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** How the race's application reads an author's entry through the cache. */
@FunctionalInterface
interface RaceReader {

  Duration TTL = Duration.ofHours(1);

  void read(Source source, RaceEntry entry, int author) throws Exception;

  /** Where a reader gets an entry's value from PostgreSQL. */
  @FunctionalInterface
  interface Source {
    Map<String, Object> load(RaceEntry entry, int author) throws Exception;
  }

  /** The application as cachepipe has it read: fenced fills. */
  static RaceReader fenced(CacheClient cache) {
    return (source, entry, author) ->
        cache.get(
            entry.key(author),
            List.of("user:" + author),
            TTL,
            () -> source.load(entry, author),
            Map.class);
  }

  /** The classic cache-aside (GET, load, SET and register, no version check): no fences. */
  static RaceReader unfenced(RedisCommands<String, String> redis) {
    return (source, entry, author) -> {
      String key = entry.key(author);
      if (redis.get(key) == null) {
        Map<String, Object> value = source.load(entry, author);
        redis.set(key, Json.mapper().writeValueAsString(value));
        redis.zadd(
            CacheKeys.tagRegistry("user:" + author), System.currentTimeMillis() + 86_400_000, key);
      }
    };
  }
}
