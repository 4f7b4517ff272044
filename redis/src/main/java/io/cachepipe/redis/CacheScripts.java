package io.cachepipe.redis;

/**
 * The Lua scripts of cachepipe's Redis protocol, each file documenting its keys and arguments: the
 * fenced fills that readers and the warmer run, and the evictions and the read-your-writes
 * watermark that the eviction step runs.
 */
public final class CacheScripts {

  /** A fill of one entry, fenced by its tags' versions and the epoch (a Redis server). */
  public static final LuaScript FENCED_FILL = LuaScript.load(CacheScripts.class, "fenced_fill.lua");

  /** A Redis Cluster fill's fence on one version key, in that key's slot. */
  public static final LuaScript FENCED_TAG = LuaScript.load(CacheScripts.class, "fenced_tag.lua");

  /**
   * The eviction of one tag at a commit position, in the tag's slot: the position check, the
   * version bump, and the registry deleted or moved aside to be deleted in chunks.
   */
  public static final LuaScript EVICT_TAG = LuaScript.load(CacheScripts.class, "evict_tag.lua");

  /** One chunk of a registry an eviction moved aside, in the tag's slot. */
  public static final LuaScript EVICT_CHUNK = LuaScript.load(CacheScripts.class, "evict_chunk.lua");

  /** Advances the read-your-writes watermark after the evictions it covers. */
  public static final LuaScript ADVANCE_WATERMARK =
      LuaScript.load(CacheScripts.class, "advance_watermark.lua");

  private CacheScripts() {}
}
