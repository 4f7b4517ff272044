package io.cachepipe.client;

import com.fasterxml.jackson.core.JsonParser;
import io.cachepipe.redis.RedisSession;
import java.io.IOException;
import java.time.Duration;

/**
 * How entries are read back and filled under their tags' fence, in the form one kind of Redis
 * needs: {@link StandaloneEntries} (one script fences and writes) or {@link ClusterEntries} (the
 * entry and its tags live in different slots). The client reads and fills through it without asking
 * which.
 */
interface FencedEntries {

  /**
   * The value of the entry that GET returned as {@code stored}, to be read as the caller's type; or
   * null if the entry is no longer current (a version it was filled against has moved).
   *
   * @throws IOException if {@code stored} is not JSON
   * @throws IllegalArgumentException if {@code stored} is not an entry of this form
   * @throws io.lettuce.core.RedisException if Redis fails
   */
  JsonParser current(RedisSession redis, String stored) throws IOException;

  /**
   * Writes {@code json} under {@code key} and registers it under each tag, if no version in {@code
   * versions} moved since they were read.
   *
   * @return whether it was written
   * @throws io.lettuce.core.RedisException if Redis fails
   */
  boolean fill(RedisSession redis, String key, TagVersions versions, Duration ttl, String json);
}
