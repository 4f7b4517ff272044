package io.cachepipe.redis.evict;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisAdvancedClusterAsyncCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Evicts tags in a Redis Cluster, where a tag's keys share a slot but its entries live anywhere.
 * Per batch, pipelined steps, each sent once the one before completed:
 *
 * <ol>
 *   <li>per tag, {@code evict_tag.lua} in the tag's slot: check the position, bump the version,
 *       take the registry (all tags at once, on the nodes that own them);
 *   <li>{@code UNLINK} of every key taken, each on its own node; those that existed are the tag's
 *       live keys. A registry larger than a chunk is taken a chunk at a time ({@code
 *       evict_chunk.lua}), each chunk deleted before the next is taken;
 *   <li>the watermark ({@code advance_watermark.lua}, one slot), only after every eviction of the
 *       batch is done.
 * </ol>
 *
 * A failure anywhere retries the whole batch (every step is idempotent; keys taken off a registry
 * by a failed attempt are kept and deleted by the retry). An entry written between a tag's step and
 * the deletion of its key, by a fill that passed its fence before the step, survives; but it
 * carries the old version and is never served (see the cache-client's cluster mode), as is any
 * entry whose key a crash left taken and undeleted. Owns its connection: not thread-safe.
 */
public final class ClusterTagEvictor extends RetryingTagEvictor {

  private final StatefulRedisClusterConnection<String, String> connection;
  private final RedisAdvancedClusterAsyncCommands<String, String> redis;

  /**
   * @param connection a cluster connection only this evictor uses
   * @param versionTtl how long a tag version outlives its last bump; far longer than any fill
   * @param maxBackoff the longest wait between retries while Redis is unreachable
   */
  public ClusterTagEvictor(
      StatefulRedisClusterConnection<String, String> connection,
      Duration versionTtl,
      Duration maxBackoff) {
    super(connection.async(), false, versionTtl, maxBackoff);
    this.connection = connection;
    this.redis = connection.async();
  }

  @Override
  long attempt(Collection<TagProgress> tags, Map<String, Long> parts, int expectedParts)
      throws ExecutionException, TimeoutException {
    // Loaded on every master: each tag's script runs on the node that owns its slot.
    loadScripts(parts);
    Map<TagProgress, RedisFuture<List<Object>>> steps = new LinkedHashMap<>();
    connection.setAutoFlushCommands(false);
    try {
      for (TagProgress tag : tags) {
        steps.put(tag, sendStep(tag));
      }
      connection.flushCommands();
    } finally {
      connection.setAutoFlushCommands(true);
    }
    for (var step : steps.entrySet()) {
      stepped(step.getKey(), step.getValue());
    }
    deleteTaken(tags);
    for (TagProgress tag : tags) {
      while (!tag.isFailed() && drainChunks(tag)) {
        // one chunk at a time: taken, then deleted on its nodes
      }
    }
    if (parts.isEmpty()) {
      return -2;
    }
    // Every eviction of the batch is done: only now may the watermark pass them.
    return awaitWatermark(sendWatermark(parts, expectedParts, List.of()));
  }

  /**
   * Deletes the keys the tags' steps took, pipelined over the nodes; those that existed are live.
   */
  @Override
  void deleteTaken(Collection<TagProgress> tags) throws ExecutionException, TimeoutException {
    Map<TagProgress, List<String>> keys = new LinkedHashMap<>();
    Map<TagProgress, List<RedisFuture<Long>>> calls = new LinkedHashMap<>();
    connection.setAutoFlushCommands(false);
    try {
      for (TagProgress tag : tags) {
        if (tag.isFailed()) {
          continue;
        }
        List<String> taken = List.copyOf(tag.toDelete);
        List<RedisFuture<Long>> unlinks = new ArrayList<>(taken.size());
        for (String key : taken) {
          unlinks.add(redis.unlink(key));
        }
        keys.put(tag, taken);
        calls.put(tag, unlinks);
      }
      connection.flushCommands();
    } finally {
      connection.setAutoFlushCommands(true);
    }
    for (var tag : calls.entrySet()) {
      List<String> taken = keys.get(tag.getKey());
      for (int i = 0; i < taken.size(); i++) {
        Long deleted = awaitFor(tag.getKey(), tag.getValue().get(i));
        if (deleted != null && deleted == 1L) {
          tag.getKey().live(taken.get(i));
        }
        tag.getKey().toDelete.remove(taken.get(i));
      }
    }
  }
}
