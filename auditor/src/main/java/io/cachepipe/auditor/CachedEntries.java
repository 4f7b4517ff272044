package io.cachepipe.auditor;

import io.cachepipe.core.redis.VersionedEntry;
import io.lettuce.core.RedisException;
import io.lettuce.core.cluster.api.sync.RedisAdvancedClusterCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.util.ArrayList;
import java.util.List;

/**
 * Cached entries as a reader sees them, for the auditor: in a Redis Cluster an entry is a {@link
 * VersionedEntry} and counts as cached only while the versions it carries are current. Every Redis
 * failure becomes an {@link AuditException} naming the key.
 */
final class CachedEntries {

  private final RedisClusterCommands<String, String> redis;

  /** Whether {@link #redis} is a Redis Cluster's, whose entries are {@link VersionedEntry}s. */
  private final boolean cluster;

  CachedEntries(RedisClusterCommands<String, String> redis) {
    this.redis = redis;
    this.cluster = redis instanceof RedisAdvancedClusterCommands;
  }

  /** The value cached under {@code key} as JSON text, or null if a reader would miss. */
  String read(String key) {
    String text;
    try {
      text = redis.get(key);
    } catch (RedisException e) {
      throw new AuditException("cannot read " + key + " from Redis: " + e.getMessage(), e);
    }
    return cluster && text != null ? currentValue(key, text) : text;
  }

  /** Whether anything is stored under {@code key}. */
  boolean exists(String key) {
    try {
      return redis.exists(key) > 0;
    } catch (RedisException e) {
      throw new AuditException("cannot read " + key + " from Redis: " + e.getMessage(), e);
    }
  }

  /** The remaining time to live of {@code key} in milliseconds, as PTTL answers it. */
  long pttl(String key) {
    try {
      return redis.pttl(key);
    } catch (RedisException e) {
      throw new AuditException("cannot read the TTL of " + key + ": " + e.getMessage(), e);
    }
  }

  /**
   * Cluster mode: the value of a stored {@link VersionedEntry} as JSON text, or null if a version
   * it carries has moved (readers treat it as a miss: it is not cached as far as they can tell).
   * Text that is not such an entry is returned as is, and so differs from the true value.
   */
  private String currentValue(String key, String stored) {
    VersionedEntry entry;
    try {
      entry = VersionedEntry.decode(stored);
    } catch (IllegalArgumentException e) {
      return stored;
    }
    if (entry.versionKeys().isEmpty()) {
      return entry.value().toString();
    }
    List<String> now = new ArrayList<>();
    try {
      redis
          .mget(entry.versionKeys().toArray(String[]::new))
          .forEach(kv -> now.add(kv.getValueOrElse(null)));
    } catch (RedisException e) {
      throw new AuditException("cannot read the tag versions of " + key + ": " + e.getMessage(), e);
    }
    return entry.isCurrent(now) ? entry.value().toString() : null;
  }
}
