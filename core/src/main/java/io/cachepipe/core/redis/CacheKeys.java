package io.cachepipe.core.redis;

/**
 * The Redis key scheme shared by the cache-client, the invalidator and the warmer; {@code
 * docs/redis-protocol.md} is its full description.
 *
 * <ul>
 *   <li>entries: {@code cp:<kind>:<id>}, readable, never a hash ({@code cp:user_stats:42});
 *   <li>a tag's registry of entry keys: {@code cp:tag:{<tag>}:keys} (a sorted set, each member
 *       scored by its entry's expiry time);
 *   <li>a tag's version, bumped by every eviction: {@code cp:tag:{<tag>}:v};
 *   <li>a tag's position, the newest commit position it was evicted at: {@code cp:tag:{<tag>}:pos};
 *   <li>a tag's registries moved aside by evictions and still being deleted in chunks: {@code
 *       cp:tag:{<tag>}:gone:<token>}, listed in the set {@code cp:tag:{<tag>}:gone};
 *   <li>the read-your-writes watermark, the WAL position before which every committed change has
 *       been evicted: {@code cp:{watermark}}, and its parts, one per pair of changes and
 *       invalidations partitions: {@code cp:{watermark}:parts} (a hash);
 *   <li>the cache epoch, a version every fill checks besides its tags' and that nothing registers
 *       under: {@code cp:{epoch}}. Bumping it fences every fill whose versions were read before, as
 *       when the replication slot was lost and the whole cache is flushed.
 * </ul>
 *
 * <p>The tag sits in a Redis Cluster hash tag ({@code {...}}) so that all of a tag's keys share one
 * slot and each per-tag step can be one script. Redis hashes the text between the first {@code {}
 * and the first {@code }} after it, and the whole key if that text is empty; so the tag is written
 * there {@linkplain #hashTag escaped}: never empty, never holding a {@code }}, and unchanged for
 * ordinary tags ({@code user:42}).
 */
public final class CacheKeys {

  public static final String PREFIX = "cp:";

  private static final String TAG_HEAD = PREFIX + "tag:{";
  private static final String REGISTRY_TAIL = "}:keys";
  private static final String POSITION_TAIL = "}:pos";
  private static final String DRAINS_TAIL = "}:gone";

  /**
   * A SCAN {@code MATCH} pattern of every tag registry (Redis glob: {@code {}} are literal), for
   * walking the cached entries through their registries, as the consistency auditor does.
   */
  public static final String TAG_REGISTRY_PATTERN = TAG_HEAD + "*" + REGISTRY_TAIL;

  /** A SCAN {@code MATCH} pattern of every per-tag key, for finding every tag Redis knows. */
  public static final String TAG_KEY_PATTERN = TAG_HEAD + "*";

  private CacheKeys() {}

  /** The key of an entry of {@code kind} identified by {@code id}: {@code cp:kind:id}. */
  public static String entry(String kind, Object id) {
    return PREFIX + kind + ":" + id;
  }

  /** The sorted set of entry keys registered under {@code tag}, scored by their expiry. */
  public static String tagRegistry(String tag) {
    return TAG_HEAD + hashTag(tag) + REGISTRY_TAIL;
  }

  /** The version counter of {@code tag}. */
  public static String tagVersion(String tag) {
    return TAG_HEAD + hashTag(tag) + "}:v";
  }

  /** The newest commit position {@code tag} was evicted at (a decimal). */
  public static String tagPosition(String tag) {
    return TAG_HEAD + hashTag(tag) + POSITION_TAIL;
  }

  /** The set of {@code tag}'s registries moved aside by evictions whose deletion is not done. */
  public static String tagDrains(String tag) {
    return TAG_HEAD + hashTag(tag) + DRAINS_TAIL;
  }

  /**
   * A registry of {@code tag} moved aside by one eviction, to be deleted in chunks; {@code token}
   * is unique to that eviction.
   */
  public static String tagDrain(String tag, String token) {
    return TAG_HEAD + hashTag(tag) + DRAINS_TAIL + ":" + token;
  }

  /**
   * The tag of a tag's registry, position or drain set ({@code cp:tag:{user:42}:keys} is {@code
   * user:42}); null for any other key.
   */
  public static String tagOf(String key) {
    for (String tail : new String[] {REGISTRY_TAIL, POSITION_TAIL, DRAINS_TAIL}) {
      if (key.startsWith(TAG_HEAD) && key.endsWith(tail)) {
        String hashTag = key.substring(TAG_HEAD.length(), key.length() - tail.length());
        return hashTag.indexOf('}') < 0 ? unescape(hashTag) : null;
      }
    }
    return null;
  }

  /**
   * The text a tag's keys carry between their braces: the tag, with {@code %} written {@code %25}
   * and {@code }} written {@code %7D}; the empty tag is {@code %} (which no other tag's text can
   * be, as every other {@code %} is followed by two hex digits). So the hash tag is never empty,
   * ends at the brace that closes it, and different tags never share one.
   */
  public static String hashTag(String tag) {
    if (tag.isEmpty()) {
      return "%";
    }
    if (tag.indexOf('%') < 0 && tag.indexOf('}') < 0) {
      return tag;
    }
    return tag.replace("%", "%25").replace("}", "%7D");
  }

  private static String unescape(String hashTag) {
    if (hashTag.equals("%")) {
      return "";
    }
    StringBuilder tag = new StringBuilder(hashTag.length());
    for (int i = 0; i < hashTag.length(); i++) {
      char c = hashTag.charAt(i);
      if (c == '%' && hashTag.startsWith("25", i + 1)) {
        tag.append('%');
        i += 2;
      } else if (c == '%' && hashTag.startsWith("7D", i + 1)) {
        tag.append('}');
        i += 2;
      } else {
        tag.append(c);
      }
    }
    return tag.toString();
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
