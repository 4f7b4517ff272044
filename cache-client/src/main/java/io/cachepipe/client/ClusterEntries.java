package io.cachepipe.client;

import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.core.redis.LuaScripts;
import io.cachepipe.core.redis.VersionedEntry;
import io.lettuce.core.KeyValue;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
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
final class ClusterEntries {

  static final String TAG_SCRIPT = LuaScripts.load(ClusterEntries.class, "fenced_tag.lua");

  private final Duration timeout;
  private volatile String tagSha;

  ClusterEntries(Duration timeout) {
    this.timeout = timeout;
  }

  /**
   * Fences and writes one entry.
   *
   * @return whether it was written: false if a version moved since {@code versions} were read
   */
  boolean fill(
      RedisClusterAsyncCommands<String, String> redis,
      String key,
      TagVersions versions,
      long ttlMillis,
      String json) {
    if (!fence(redis, key, versions, ttlMillis)) {
      return false;
    }
    write(redis, key, versions, ttlMillis, json);
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
    if (tagSha == null) {
      tagSha = redis.digest(TAG_SCRIPT);
    }
    List<String[]> keysOf = new ArrayList<>(versionKeys.size());
    List<String[]> argsOf = new ArrayList<>(versionKeys.size());
    List<RedisFuture<Long>> fences = new ArrayList<>(versionKeys.size());
    for (int i = 0; i < versionKeys.size(); i++) {
      String[] keys =
          i < versions.tags().size()
              ? new String[] {versionKeys.get(i), CacheKeys.tagRegistry(versions.tags().get(i))}
              : new String[] {versionKeys.get(i)};
      String[] args = {versions.versions().get(i), key, ttl};
      keysOf.add(keys);
      argsOf.add(args);
      fences.add(redis.evalsha(tagSha, ScriptOutputType.INTEGER, keys, args));
    }
    boolean passed = true;
    for (int i = 0; i < fences.size(); i++) {
      Long result;
      try {
        result = await(fences.get(i));
      } catch (RedisNoScriptException e) {
        // That node has not seen the script (new, restarted or flushed): EVAL caches it there.
        result =
            await(redis.eval(TAG_SCRIPT, ScriptOutputType.INTEGER, keysOf.get(i), argsOf.get(i)));
      }
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
    await(redis.set(key, entry, SetArgs.Builder.px(ttlMillis)));
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

  private <T> T await(RedisFuture<T> future) {
    return LettuceFutures.awaitOrCancel(future, timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
