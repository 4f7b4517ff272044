package io.cachepipe.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.redis.LazyConnection;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisException;
import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a {@link CacheClient} reads through its {@link NearCache}: a hit is parsed from the tier; a
 * miss reads through Redis as without the tier, and its value is stored in the tier only if Redis
 * was at least as far as the tier when the fill began. Without that check a tier that applied an
 * invalidation before Redis did could take the old value from Redis after the invalidation, and
 * keep it: the Redis read-your-writes watermark must have passed the tier's start barrier (what the
 * tier may have missed before its consumer started), and each tag's Redis position ({@code
 * cp:tag:{t}:pos}) the newest commit position the tier applied to it. Both are read before the
 * value, in one MGET.
 */
final class NearTier {

  private static final Logger LOG = LoggerFactory.getLogger(NearTier.class);

  private final NearCache near;
  private final LazyConnection redis;
  private final ObjectMapper mapper;

  NearTier(NearCache near, LazyConnection redis, ObjectMapper mapper) {
    this.near = near;
    this.redis = redis;
    this.mapper = mapper;
  }

  NearCache cache() {
    return near;
  }

  /** The tier's value of {@code key} as a {@code type}, or null. */
  <T> T hit(String key, Class<T> type) {
    String json = near.read(key);
    if (json == null) {
      return null;
    }
    try {
      return mapper.readValue(json, type);
    } catch (IOException | IllegalArgumentException e) {
      LOG.warn("near cache entry {} is not a {}: {}", key, type.getSimpleName(), e.getMessage());
      return null;
    }
  }

  /** Begins a fill of an entry with {@code tags}, or returns null if the tier must not take it. */
  NearFill begin(List<String> tags) {
    NearFill fill = near.begin(tags);
    if (fill == null || !near.fenced()) {
      return fill;
    }
    String[] keys = new String[1 + tags.size()];
    keys[0] = CacheKeys.watermark();
    for (int i = 0; i < tags.size(); i++) {
      keys[1 + i] = CacheKeys.tagPosition(tags.get(i));
    }
    List<KeyValue<String, String>> values;
    try {
      values = redis.session().commands().mget(keys);
    } catch (RedisException e) {
      near.refuse();
      return null;
    }
    if (number(values.get(0)) < fill.barrier()) {
      near.refuse();
      return null;
    }
    for (int i = 0; i < tags.size(); i++) {
      long applied = fill.applied()[i];
      if (applied > 0 && number(values.get(1 + i)) < applied) {
        near.refuse();
        return null;
      }
    }
    return fill;
  }

  /** Stores {@code value}, read after {@code fill} began, in the tier unless its fence says no. */
  void fill(String key, NearFill fill, Object value) {
    try {
      near.fill(key, fill, mapper.writeValueAsString(value));
    } catch (JsonProcessingException e) {
      near.refuse();
    }
  }

  private static long number(KeyValue<String, String> value) {
    if (!value.hasValue()) {
      return -1;
    }
    try {
      return Long.parseLong(value.getValue());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
