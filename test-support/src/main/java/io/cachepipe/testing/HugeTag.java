package io.cachepipe.testing;

import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.servers.RespConnection;
import java.io.IOException;
import java.time.Duration;

/**
 * A tag with a great many entries registered under it, as fills register them (a registry member
 * scored by its entry's expiry), made by a script on the server in slices, far faster than a client
 * could: for tests of an eviction that must not block Redis.
 */
public final class HugeTag {

  /** Entries live this long, and their registry with them. */
  public static final Duration TTL = Duration.ofHours(1);

  private static final int SLICE = 50_000;

  private static final String MAKE =
      "for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do"
          + " local k = ARGV[3] .. i"
          + " redis.call('SET', k, ARGV[6], 'PX', ARGV[4])"
          + " redis.call('ZADD', KEYS[1], ARGV[5], k)"
          + " end"
          + " redis.call('PEXPIRE', KEYS[1], ARGV[4])"
          + " return 1";

  private HugeTag() {}

  /** The key of entry {@code i} of those {@link #make} cached with {@code prefix}. */
  public static String key(String prefix, long i) {
    return prefix + i;
  }

  /**
   * Caches {@code count} entries {@code <prefix>0 .. <prefix>(count-1)}, each holding {@code value}
   * and registered under {@code tag}, on the Redis server at {@code host}:{@code port}.
   */
  public static void make(
      String host, int port, String tag, String prefix, int count, String value) {
    String expiry = Long.toString(System.currentTimeMillis() + TTL.toMillis());
    try (RespConnection redis = RespConnection.open(host, port, Duration.ofSeconds(30))) {
      for (int from = 0; from < count; from += SLICE) {
        redis.call(
            "EVAL",
            MAKE,
            "1",
            CacheKeys.tagRegistry(tag),
            Integer.toString(from),
            Integer.toString(Math.min(count, from + SLICE) - 1),
            prefix,
            Long.toString(TTL.toMillis()),
            expiry,
            value);
      }
    } catch (IOException e) {
      throw new FixtureException("cannot register " + count + " entries under " + tag, e);
    }
  }
}
