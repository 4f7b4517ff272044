package io.cachepipe.core.redis;

/**
 * The Redis key scheme shared by the cache-client, the invalidator and the warmer.
 *
 * <ul>
 *   <li>entries: {@code cp:<kind>:<id>}, readable, never a hash ({@code cp:user_stats:42});
 *   <li>a tag's registry of entry keys: {@code cp:tag:{<tag>}:keys} (a set);
 *   <li>a tag's version, bumped by every eviction: {@code cp:tag:{<tag>}:v};
 *   <li>the read-your-writes watermark, the WAL position before which every committed change has
 *       been evicted: {@code cp:{watermark}}, and its parts, one per pair of changes and
 *       invalidations partitions: {@code cp:{watermark}:parts} (a hash);
 *   <li>the cache epoch, a version every fill checks besides its tags' and that nothing registers
 *       under: {@code cp:{epoch}}. Bumping it fences every fill whose versions were read before, as
 *       when the replication slot was lost and the whole cache is flushed.
 * </ul>
 *
 * <p>The tag sits in a Redis Cluster hash tag ({@code {...}}) so that a tag's registry and version
 * share one slot and the per-tag eviction step can be one script.
 */
public final class CacheKeys {

  public static final String PREFIX = "cp:";

  /**
   * A SCAN {@code MATCH} pattern of every tag registry (Redis glob: {@code {}} are literal), for
   * walking the cached entries through their registries, as the consistency auditor does.
   */
  public static final String TAG_REGISTRY_PATTERN = PREFIX + "tag:{*}:keys";

  private CacheKeys() {}

  /** The key of an entry of {@code kind} identified by {@code id}: {@code cp:kind:id}. */
  public static String entry(String kind, Object id) {
    return PREFIX + kind + ":" + id;
  }

  /** The set of entry keys registered under {@code tag}. */
  public static String tagRegistry(String tag) {
    return PREFIX + "tag:{" + tag + "}:keys";
  }

  /** The version counter of {@code tag}. */
  public static String tagVersion(String tag) {
    return PREFIX + "tag:{" + tag + "}:v";
  }

  /**
   * The warm lease of the entry {@code entryKey}: held by the one warmer, of all instances, that
   * recomputes the entry now ({@code cp:lease:cp:user_stats:42}).
   */
  public static String warmLease(String entryKey) {
    return PREFIX + "lease:" + entryKey;
  }

  /** The read-your-writes watermark (a decimal LSN). */
  public static String watermark() {
    return PREFIX + "{watermark}";
  }

  /**
   * The cache epoch (a decimal counter, missing = 0): read with the tags' versions before a value
   * is loaded and checked by the fill like them, but with no registry. Bumped when changes may have
   * been missed (the replication slot was lost), so that no fill of a value read before counts.
   */
  public static String epoch() {
    return PREFIX + "{epoch}";
  }

  /** The watermark's parts: field {@code <invalidations partition>/<changes partition>}. */
  public static String watermarkParts() {
    return PREFIX + "{watermark}:parts";
  }
}
