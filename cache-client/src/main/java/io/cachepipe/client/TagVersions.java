package io.cachepipe.client;

import io.cachepipe.core.redis.CacheKeys;
import java.util.List;

/**
 * The versions an entry's fill is fenced by, read before its value was loaded, and when they were
 * read: one per tag ({@link CacheKeys#tagVersion}) and the cache epoch ({@link CacheKeys#epoch}),
 * which has no registry. A fill with them succeeds only if none has moved since.
 *
 * @param tags the tags, in order; the entry is registered under each
 * @param versionKeys the version keys checked: each tag's, in the same order, then any others (the
 *     epoch)
 * @param versions the value of each version key ("0" for one never bumped), in the same order
 * @param readAtNanos {@link System#nanoTime()} when they were read
 */
public record TagVersions(
    List<String> tags, List<String> versionKeys, List<String> versions, long readAtNanos) {

  public TagVersions {
    tags = List.copyOf(tags);
    versionKeys = List.copyOf(versionKeys);
    versions = List.copyOf(versions);
    if (versionKeys.size() != versions.size()) {
      throw new IllegalArgumentException("one version per version key");
    }
    if (versionKeys.size() < tags.size()) {
      throw new IllegalArgumentException("a version key per tag");
    }
  }

  /**
   * The version keys of {@code tags}, then the epoch's: what {@link CacheClient#versions} reads.
   */
  public static List<String> keysOf(List<String> tags) {
    String[] keys = new String[tags.size() + 1];
    for (int i = 0; i < tags.size(); i++) {
      keys[i] = CacheKeys.tagVersion(tags.get(i));
    }
    keys[tags.size()] = CacheKeys.epoch();
    return List.of(keys);
  }
}
