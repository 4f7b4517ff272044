package io.cachepipe.warmer;

import io.cachepipe.client.CacheClient;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.redis.LazyConnection;
import io.cachepipe.redis.LuaScript;
import io.cachepipe.redis.RedisConnector;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import java.time.Duration;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warm leases, so that of several warmer instances one at a time recomputes an entry: a lease is a
 * key in Redis ({@link #key}) set if absent with a time to live, holding a random token, and
 * released by compare-and-delete. On a connection of its own, opened on first use and failing fast
 * like the warmer's cache-client. Thread-safe.
 */
final class WarmLease implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(WarmLease.class);
  private static final LuaScript RELEASE = LuaScript.load(WarmLease.class, "release_lease.lua");

  private final LazyConnection redis;

  WarmLease(Connections connections) {
    this.redis =
        new LazyConnection(
            RedisConnector.builder()
                .connections(connections)
                .timeout(CacheClient.DEFAULT_COMMAND_TIMEOUT)
                .build());
  }

  /**
   * The warm lease of the entry {@code entryKey}: held by the one warmer, of all instances, that
   * recomputes the entry now ({@code cp:lease:cp:user_stats:42}).
   */
  static String key(String entryKey) {
    return CacheKeys.PREFIX + "lease:" + entryKey;
  }

  /**
   * Takes the lease of the entry {@code key} for {@code ttl} if no one holds it.
   *
   * @return the token that releases it ({@link #release}), or null while another holds it
   * @throws RedisException if Redis fails
   */
  String tryTake(String key, Duration ttl) {
    String token = UUID.randomUUID().toString();
    String ok =
        redis
            .session()
            .commands()
            .set(key(key), token, SetArgs.Builder.nx().px(Math.max(1, ttl.toMillis())));
    return "OK".equals(ok) ? token : null;
  }

  /** Releases the lease of {@code key} if {@code token} still holds it (it may have expired). */
  void release(String key, String token) {
    try {
      RELEASE.run(
          redis.session().commands(), ScriptOutputType.INTEGER, new String[] {key(key)}, token);
    } catch (RedisException e) {
      LOG.debug("releasing the warm lease of {} failed (it expires): {}", key, e.getMessage());
    }
  }

  @Override
  public void close() {
    redis.close();
  }
}
