package io.cachepipe.client;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.core.redis.VersionedEntry;
import io.cachepipe.redis.CacheScripts;
import io.cachepipe.redis.LuaScript;
import io.cachepipe.redis.RedisSession;
import io.lettuce.core.KeyValue;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Fills and reads of Redis Cluster mode, where an entry, its tags' versions and their registries
 * live in different slots, so no one script can fence a fill as {@code fenced_fill.lua} does.
 *
 * <ul>
 *   <li>A fill runs {@code fenced_tag.lua} per version key, in that key's slot (all at once, on the
 *       nodes that own them): each checks that its version has not moved and registers the entry
 *       under its tag. Only if every one passed is the entry written, as a {@link VersionedEntry}
 *       carrying the versions read.
 *   <li>A read of an entry compares the versions it carries with the current ones (one MGET, which
 *       Lettuce splits by node); any difference makes it a miss. An eviction bumps the version
 *       before it deletes the registered entries, so an entry written after its fence passed and
 *       after the eviction ran is never served.
 * </ul>
 */
final class ClusterEntries implements FencedEntries {

  private final ObjectMapper mapper;
  private final Duration timeout;

  ClusterEntries(ObjectMapper mapper, Duration timeout) {
    this.mapper = mapper;
    this.timeout = timeout;
  }

  @Override
  public JsonParser current(RedisSession redis, String stored) {
    VersionedEntry entry = current(redis.commands(), stored);
    return entry == null ? null : mapper.treeAsTokens(entry.value());
  }

  @Override
  public boolean fill(
      RedisSession redis, String key, TagVersions versions, Duration ttl, String json) {
    long ttlMillis = Math.max(1, ttl.toMillis());
    if (!fence(redis.async(), key, versions, ttlMillis)) {
      return false;
    }
    write(redis.async(), key, versions, ttlMillis, json);
    return true;
  }

  /**
   * The fill's first step: {@code fenced_tag.lua} on every version key, all at once. Registers the
   * entry under the tags whose version has not moved.
   *
   * @return whether no version moved
   */
  boolean fence(
      RedisClusterAsyncCommands<String, String> redis,
      String key,
      TagVersions versions,
      long ttlMillis) {
    List<String> versionKeys = versions.versionKeys();
    String ttl = Long.toString(ttlMillis);
    List<LuaScript.Call<Long>> fences = new ArrayList<>(versionKeys.size());
    for (int i = 0; i < versionKeys.size(); i++) {
      String[] keys =
          i < versions.tags().size()
              ? new String[] {versionKeys.get(i), CacheKeys.tagRegistry(versions.tags().get(i))}
              : new String[] {versionKeys.get(i)};
      String[] args = {versions.versions().get(i), key, ttl};
      fences.add(CacheScripts.FENCED_TAG.send(redis, ScriptOutputType.INTEGER, keys, args));
    }
    boolean passed = true;
    for (LuaScript.Call<Long> fence : fences) {
      Long result = fence.await(timeout);
      passed &= result != null && result == 1L;
    }
    return passed;
  }

  /** The fill's second step: the entry, carrying the versions it was filled against. */
  void write(
      RedisClusterAsyncCommands<String, String> redis,
      String key,
      TagVersions versions,
      long ttlMillis,
      String json) {
    String entry = VersionedEntry.encode(versions.versionKeys(), versions.versions(), json);
    LettuceFutures.awaitOrCancel(
        redis.set(key, entry, SetArgs.Builder.px(ttlMillis)),
        timeout.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /**
   * The entry stored as {@code stored}, if the versions it carries are still current; else null.
   *
   * @throws IllegalArgumentException if {@code stored} is not a {@link VersionedEntry}
   */
  static VersionedEntry current(RedisClusterCommands<String, String> redis, String stored) {
    VersionedEntry entry = VersionedEntry.decode(stored);
    if (entry.versionKeys().isEmpty()) {
      return entry;
    }
    List<String> now = new ArrayList<>(entry.versionKeys().size());
    for (KeyValue<String, String> kv : redis.mget(entry.versionKeys().toArray(String[]::new))) {
      now.add(kv.getValueOrElse(null));
    }
    return entry.isCurrent(now) ? entry : null;
  }
}
