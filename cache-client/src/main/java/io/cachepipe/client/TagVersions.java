package io.cachepipe.client;

import io.cachepipe.core.redis.CacheKeys;
import java.util.List;

/**
 * The versions of an entry's tags, read before its value was loaded, and when they were read. A
 * fill with them succeeds only if no tag has been evicted since.
 *
 * @param tags the tags, in order
 * @param versions their versions ("0" for a tag never evicted), in the same order
 * @param readAtNanos {@link System#nanoTime()} when they were read
 */
public record TagVersions(List<String> tags, List<String> versions, long readAtNanos) {

  public TagVersions {
    tags = List.copyOf(tags);
    versions = List.copyOf(versions);
    if (tags.size() != versions.size()) {
      throw new IllegalArgumentException("one version per tag");
    }
  }

  /**
   * The keys the versions were read from, in the same order. A fill is fenced on each of them, and
   * in Redis Cluster mode an entry carries them so that a read can check them all.
   */
  public List<String> versionKeys() {
    return keysOf(tags);
  }

  /** The version keys of {@code tags}, in order. */
  static List<String> keysOf(List<String> tags) {
    return tags.stream().map(CacheKeys::tagVersion).toList();
  }
}
