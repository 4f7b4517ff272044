package io.cachepipe.invalidator;

import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.core.redis.LuaScripts;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisAdvancedClusterAsyncCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Evicts tags in a Redis Cluster, where a tag's registry and version share a slot but its entries
 * live anywhere. Per batch, three pipelined steps, each sent once the one before completed:
 *
 * <ol>
 *   <li>per tag, {@code evict_tag_cluster.lua} in the tag's slot: bump the version, drop the
 *       registry, return its members (all tags at once, on the nodes that own them);
 *   <li>{@code UNLINK} of every member, each on its own node; those that existed are the tag's live
 *       keys;
 *   <li>the watermark ({@code advance_watermark.lua}, one slot), only after every eviction of the
 *       batch succeeded.
 * </ol>
 *
 * A failure anywhere retries the whole batch (every step is idempotent; the members of registries
 * an attempt dropped are kept for the retry, whose script finds them gone). An entry written
 * between steps 1 and 2 by a fill that passed its fence before step 1 survives step 2, but carries
 * the old version and is never served (see the cache-client's cluster mode). Owns its connection:
 * not thread-safe.
 */
public final class ClusterTagEvictor extends RetryingTagEvictor {

  static final String SCRIPT = LuaScripts.load(ClusterTagEvictor.class, "evict_tag_cluster.lua");

  private final StatefulRedisClusterConnection<String, String> connection;
  private final RedisAdvancedClusterAsyncCommands<String, String> redis;

  /** Members of registries dropped by a failed attempt at the batch, deleted by its retry. */
  private final Map<String, Set<String>> dropped = new HashMap<>();

  /**
   * @param connection a cluster connection only this evictor uses
   * @param versionTtl how long a tag version outlives its last bump; far longer than any fill
   * @param maxBackoff the longest wait between retries while Redis is unreachable
   */
  public ClusterTagEvictor(
      StatefulRedisClusterConnection<String, String> connection,
      Duration versionTtl,
      Duration maxBackoff) {
    super(connection.async(), SCRIPT, versionTtl, maxBackoff);
    this.connection = connection;
    this.redis = connection.async();
  }

  @Override
  Evicted attempt(Collection<String> tags, Map<String, Long> parts, int expectedParts)
      throws ExecutionException, TimeoutException {
    // Loaded on every master: each tag's script runs on the node that owns its slot.
    String sha = evictSha();
    String watermarkSha = parts.isEmpty() ? null : watermarkSha();
    Map<String, RedisFuture<List<Object>>> scripts = new LinkedHashMap<>();
    connection.setAutoFlushCommands(false);
    try {
      for (String tag : tags) {
        scripts.put(
            tag,
            redis.evalsha(
                sha, ScriptOutputType.MULTI, RedisTagEvictor.evictKeys(tag), versionTtlMillis));
      }
      connection.flushCommands();
    } finally {
      connection.setAutoFlushCommands(true);
    }
    for (var script : scripts.entrySet()) {
      Set<String> keys = dropped.computeIfAbsent(script.getKey(), t -> new LinkedHashSet<>());
      await(script.getValue()).forEach(k -> keys.add(String.valueOf(k)));
    }
    Map<String, List<String>> members = new LinkedHashMap<>();
    tags.forEach(tag -> members.put(tag, List.copyOf(dropped.get(tag))));
    Map<String, List<String>> live = unlink(members);
    dropped.clear();
    long watermark = -2;
    if (!parts.isEmpty()) {
      // Every eviction of the batch is applied: only now may the watermark pass them.
      watermark =
          await(
              redis.evalsha(
                  watermarkSha,
                  ScriptOutputType.INTEGER,
                  new String[] {CacheKeys.watermarkParts(), CacheKeys.watermark()},
                  RedisTagEvictor.watermarkArgs(parts, expectedParts)));
    }
    return new Evicted(live, watermark);
  }

  /** Deletes each tag's members, pipelined over the nodes; per tag, those that existed. */
  private Map<String, List<String>> unlink(Map<String, List<String>> members)
      throws ExecutionException, TimeoutException {
    Map<String, List<RedisFuture<Long>>> calls = new LinkedHashMap<>();
    connection.setAutoFlushCommands(false);
    try {
      for (var tag : members.entrySet()) {
        List<RedisFuture<Long>> unlinks = new ArrayList<>(tag.getValue().size());
        for (String key : tag.getValue()) {
          unlinks.add(redis.unlink(key));
        }
        calls.put(tag.getKey(), unlinks);
      }
      connection.flushCommands();
    } finally {
      connection.setAutoFlushCommands(true);
    }
    Map<String, List<String>> live = new LinkedHashMap<>();
    for (var tag : calls.entrySet()) {
      List<String> keys = members.get(tag.getKey());
      List<String> existed = new ArrayList<>(keys.size());
      for (int i = 0; i < keys.size(); i++) {
        if (await(tag.getValue().get(i)) == 1L) {
          existed.add(keys.get(i));
        }
      }
      live.put(tag.getKey(), existed);
    }
    return live;
  }
}
