package io.cachepipe.redis.evict;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Evicts tags on a Redis server with preloaded Lua scripts (EVALSHA): no KEYS, no SCAN, cost
 * proportional to the entries under the tags, not to the keyspace. A batch's steps, one per tag
 * ({@code evict_tag.lua}), and the watermark's advance go in one pipelined round trip; a tag whose
 * registry was larger than a chunk is then deleted chunk by chunk ({@code evict_chunk.lua}), and
 * the watermark, which refused to move while such deletions were unfinished, is advanced after
 * them. While Redis is unreachable it retries the batch with backoff and does not return, so no
 * invalidation is committed past an unapplied eviction. Owns its connection: not thread-safe.
 */
public final class RedisTagEvictor extends RetryingTagEvictor {

  private final StatefulRedisConnection<String, String> connection;

  /**
   * @param connection a connection only this evictor uses
   * @param versionTtl how long a tag version outlives its last bump; far longer than any fill
   * @param maxBackoff the longest wait between retries while Redis is unreachable
   */
  public RedisTagEvictor(
      StatefulRedisConnection<String, String> connection,
      Duration versionTtl,
      Duration maxBackoff) {
    super(connection.async(), true, versionTtl, maxBackoff);
    this.connection = connection;
  }

  @Override
  long attempt(Collection<TagProgress> tags, Map<String, Long> parts, int expectedParts)
      throws ExecutionException, TimeoutException {
    loadScripts(parts);
    Map<TagProgress, RedisFuture<List<Object>>> steps = new LinkedHashMap<>();
    RedisFuture<Long> watermark = null;
    List<String> guarded = new ArrayList<>(tags.size());
    tags.forEach(t -> guarded.add(t.tag));
    connection.setAutoFlushCommands(false);
    try {
      for (TagProgress tag : tags) {
        steps.put(tag, sendStep(tag));
      }
      if (!parts.isEmpty()) {
        // After the steps on the same connection: Redis runs them first.
        watermark = sendWatermark(parts, expectedParts, guarded);
      }
      connection.flushCommands();
    } finally {
      connection.setAutoFlushCommands(true);
    }
    for (var step : steps.entrySet()) {
      stepped(step.getKey(), step.getValue());
    }
    for (TagProgress tag : tags) {
      while (!tag.isFailed() && drainChunks(tag)) {
        // one chunk per script call, so that other clients are served between them
      }
    }
    if (watermark == null) {
      return -2;
    }
    long moved = awaitWatermark(watermark);
    return moved == -3 ? awaitWatermark(sendWatermark(parts, expectedParts, List.of())) : moved;
  }
}
