package io.cachepipe.redis.evict;

import io.cachepipe.core.redis.CacheKeys;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The keys and arguments of the eviction step's scripts, built in one place for both evictors: a
 * tag's eviction ({@code evict_tag.lua}), the chunks of a registry it moved aside ({@code
 * evict_chunk.lua}) and the watermark's advance ({@code advance_watermark.lua}).
 */
public final class EvictionArguments {

  /**
   * The most entries one script deletes: a registry up to this size goes in the eviction's own
   * step, a larger one in chunks of this size, each its own step, so no step blocks Redis for long.
   */
  public static final int CHUNK = 500;

  private EvictionArguments() {}

  /**
   * The eviction script's keys for {@code tag} (one slot): its registry, version, position and
   * drain set, then a drain key of this eviction's own, named by {@code token}.
   */
  public static String[] evictKeys(String tag, String token) {
    return new String[] {
      CacheKeys.tagRegistry(tag),
      CacheKeys.tagVersion(tag),
      CacheKeys.tagPosition(tag),
      CacheKeys.tagDrains(tag),
      CacheKeys.tagDrain(tag, token)
    };
  }

  /**
   * The eviction script's arguments.
   *
   * @param versionTtlMillis how long the version and position are kept
   * @param position the commit position, or {@link TagEvictor#UNCONDITIONAL}
   * @param deleteHere whether the script deletes the entries (a Redis server) or returns them
   */
  public static String[] evictArgs(String versionTtlMillis, long position, boolean deleteHere) {
    return new String[] {
      versionTtlMillis,
      position == TagEvictor.UNCONDITIONAL ? "" : Long.toString(position),
      Integer.toString(CHUNK),
      deleteHere ? "1" : "0"
    };
  }

  /** A token unique to one eviction, naming its drain key: 16 random hex digits. */
  public static String token() {
    return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
  }

  /** The chunk script's keys: the tag's drain set, the drain key, the tag's registry. */
  public static String[] chunkKeys(String tag, String drainKey) {
    return new String[] {CacheKeys.tagDrains(tag), drainKey, CacheKeys.tagRegistry(tag)};
  }

  /** The chunk script's arguments: the chunk size, and whether it deletes the entries itself. */
  public static String[] chunkArgs(boolean deleteHere) {
    return new String[] {Integer.toString(CHUNK), deleteHere ? "1" : "0"};
  }

  /**
   * The watermark script's keys: the watermark's parts, then the watermark (one slot), then the
   * drain sets of {@code tags}, which must be empty for it to move (a Redis server only: in a
   * cluster they live in other slots).
   */
  public static String[] watermarkKeys(Collection<String> tags) {
    String[] keys = new String[2 + tags.size()];
    keys[0] = CacheKeys.watermarkParts();
    keys[1] = CacheKeys.watermark();
    int i = 2;
    for (String tag : tags) {
      keys[i++] = CacheKeys.tagDrains(tag);
    }
    return keys;
  }

  /** The watermark script's arguments: the expected part count, then each part and its LSN. */
  public static String[] watermarkArgs(Map<String, Long> parts, int expectedParts) {
    String[] args = new String[1 + 2 * parts.size()];
    args[0] = Integer.toString(expectedParts);
    int i = 1;
    for (var part : parts.entrySet()) {
      args[i++] = part.getKey();
      args[i++] = Long.toString(part.getValue());
    }
    return args;
  }
}
