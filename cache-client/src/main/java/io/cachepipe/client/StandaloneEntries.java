package io.cachepipe.client;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.redis.CacheScripts;
import io.cachepipe.redis.RedisSession;
import io.lettuce.core.ScriptOutputType;
import java.io.IOException;
import java.time.Duration;

/**
 * Reads and fills of a Redis server: an entry is its value's JSON, and a fill is one script ({@code
 * fenced_fill.lua}) that checks every version, writes the entry and registers it under each tag
 * atomically.
 */
final class StandaloneEntries implements FencedEntries {

  private final ObjectMapper mapper;

  StandaloneEntries(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  @Override
  public JsonParser current(RedisSession redis, String stored) throws IOException {
    return mapper.createParser(stored);
  }

  @Override
  public boolean fill(
      RedisSession redis, String key, TagVersions versions, Duration ttl, String json) {
    FillCall call = fillCall(key, versions, ttl, json);
    Long result =
        CacheScripts.FENCED_FILL.run(
            redis.commands(), ScriptOutputType.INTEGER, call.keys(), call.args());
    return result != null && result == 1L;
  }

  /** The keys and arguments of the fill script (fenced_fill.lua) for one entry. */
  record FillCall(String[] keys, String[] args) {}

  /**
   * The fill script's keys (the entry, then each version key, then each tag's registry) and
   * arguments (the value, the TTL in milliseconds, the version count, the registry count, then each
   * version read).
   */
  static FillCall fillCall(String key, TagVersions versions, Duration ttl, String json) {
    int n = versions.versionKeys().size();
    int m = versions.tags().size();
    String[] keys = new String[1 + n + m];
    String[] args = new String[4 + n];
    keys[0] = key;
    args[0] = json;
    args[1] = Long.toString(Math.max(1, ttl.toMillis()));
    args[2] = Integer.toString(n);
    args[3] = Integer.toString(m);
    for (int i = 0; i < n; i++) {
      keys[1 + i] = versions.versionKeys().get(i);
      args[4 + i] = versions.versions().get(i);
    }
    for (int j = 0; j < m; j++) {
      keys[1 + n + j] = CacheKeys.tagRegistry(versions.tags().get(j));
    }
    return new FillCall(keys, args);
  }
}
