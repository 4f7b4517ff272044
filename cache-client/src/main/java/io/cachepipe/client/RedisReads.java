package io.cachepipe.client;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cachepipe.redis.LazyConnection;
import io.cachepipe.redis.RedisSession;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Redis tier of a {@link CacheClient}: read-through with fenced fills. A hit is read back in
 * the form its kind of Redis stores ({@link FencedEntries}); a miss reads the tags' versions, loads
 * the value and fills it fenced by them. If Redis fails, the value comes from the loader.
 */
final class RedisReads {

  private static final Logger LOG = LoggerFactory.getLogger(CacheClient.class);

  private final LazyConnection connection;
  private final FencedEntries entries;
  private final ObjectMapper mapper;
  private final Duration fillDeadline;
  private final CacheStats stats;

  RedisReads(
      LazyConnection connection,
      FencedEntries entries,
      ObjectMapper mapper,
      Duration fillDeadline,
      CacheStats stats) {
    this.connection = connection;
    this.entries = entries;
    this.mapper = mapper;
    this.fillDeadline = fillDeadline;
    this.stats = stats;
  }

  /** See {@link CacheClient#get}, without the near cache. */
  <T> T get(String key, Collection<String> tags, Duration ttl, Loader<T> loader, Class<T> type) {
    try {
      RedisSession redis = connection.session();
      String cached = redis.commands().get(key);
      JsonParser value = cached == null ? null : entries.current(redis, cached);
      if (value != null) {
        T hit = mapper.readValue(value, type);
        stats.hits.increment();
        return hit;
      }
    } catch (RedisException e) {
      stats.redisErrors.increment();
      LOG.warn("cache read of {} failed, loading from source: {}", key, e.getMessage());
      return load(key, loader);
    } catch (IOException | IllegalArgumentException e) {
      LOG.warn("cached {} is not a {}: reloading ({})", key, type.getSimpleName(), e.getMessage());
    }
    stats.misses.increment();
    TagVersions versions;
    try {
      versions = versions(tags);
    } catch (RedisException e) {
      stats.redisErrors.increment();
      return load(key, loader);
    }
    T value = load(key, loader);
    if (value != null) {
      fill(key, versions, ttl, value);
    }
    return value;
  }

  /** See {@link CacheClient#versions}. */
  TagVersions versions(Collection<String> tags) {
    List<String> tagList = List.copyOf(tags);
    List<String> keys = TagVersions.keysOf(tagList);
    List<String> versions = new ArrayList<>(keys.size());
    for (KeyValue<String, String> kv :
        connection.session().commands().mget(keys.toArray(String[]::new))) {
      versions.add(kv.getValueOrElse("0"));
    }
    return new TagVersions(tagList, keys, versions, System.nanoTime());
  }

  /** See {@link CacheClient#fill}. */
  boolean fill(String key, TagVersions versions, Duration ttl, Object value) {
    if (System.nanoTime() - versions.readAtNanos() > fillDeadline.toNanos()) {
      stats.fillsRejected.increment();
      return false;
    }
    String json;
    try {
      json = mapper.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("value of " + key + " cannot be written as JSON", e);
    }
    try {
      boolean written = entries.fill(connection.session(), key, versions, ttl, json);
      (written ? stats.fillsAccepted : stats.fillsRejected).increment();
      return written;
    } catch (RedisException e) {
      stats.redisErrors.increment();
      LOG.warn("cache fill of {} failed: {}", key, e.getMessage());
      return false;
    }
  }

  /** The loader's value; its failure as a {@link CacheLoadException}. */
  static <T> T load(String key, Loader<T> loader) {
    try {
      return loader.load();
    } catch (Exception e) {
      throw new CacheLoadException(key, e);
    }
  }
}
