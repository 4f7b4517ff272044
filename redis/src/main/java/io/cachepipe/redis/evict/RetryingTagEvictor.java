package io.cachepipe.redis.evict;

import io.cachepipe.redis.CacheScripts;
import io.cachepipe.redis.LuaScript;
import io.cachepipe.redis.RedisFailures;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the Redis evictors share: a batch is attempted until Redis applied all of it, with backoff
 * while Redis fails, so no invalidation is committed past an unapplied eviction; a lost script
 * cache (Redis restarted or flushed) is reloaded and the batch retried at once. A tag that Redis
 * refuses for good ({@link RedisFailures#isPermanent}) is given up and the rest applied, so that
 * one bad key never wedges the eviction of every tag after it. A retry is cheap and harmless: each
 * tag's step skips a tag already evicted at its position, and the deletions left unfinished are
 * taken up where they stopped. The scripts (the eviction's and the watermark's) are loaded before a
 * batch, so that a pipeline of them is not answered one by one with {@code NOSCRIPT}.
 */
public abstract class RetryingTagEvictor implements TagEvictor {

  private static final Logger LOG = LoggerFactory.getLogger(RetryingTagEvictor.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final Duration MIN_WAIT = Duration.ofMillis(500);

  private final RedisClusterAsyncCommands<String, String> redis;
  private final boolean deleteHere;
  private final String versionTtlMillis;
  private final Duration maxBackoff;

  /** The scripts loaded since Redis last lost them (as far as this evictor knows). */
  private final Set<LuaScript> loaded = new HashSet<>();

  private volatile boolean closed;
  private long deadlineNanos;

  /**
   * @param redis the connection's commands (a server's, or a cluster's, where a script loads on
   *     every master)
   * @param deleteHere whether the scripts delete the entries themselves (a Redis server) or return
   *     them for this evictor to delete (a Redis Cluster)
   * @param versionTtl how long a tag version outlives its last bump; far longer than any fill
   * @param maxBackoff the longest wait between retries while Redis is unreachable
   */
  RetryingTagEvictor(
      RedisClusterAsyncCommands<String, String> redis,
      boolean deleteHere,
      Duration versionTtl,
      Duration maxBackoff) {
    this.redis = redis;
    this.deleteHere = deleteHere;
    this.versionTtlMillis = Long.toString(versionTtl.toMillis());
    this.maxBackoff = maxBackoff;
  }

  /**
   * One attempt at the whole batch; it must be safe to repeat.
   *
   * @param tags the batch's tags, carrying what earlier attempts did
   */
  abstract long attempt(Collection<TagProgress> tags, Map<String, Long> parts, int expectedParts)
      throws ExecutionException, TimeoutException;

  /**
   * Loads the eviction scripts, and the watermark's if {@code parts} is not empty, unless they were
   * loaded since Redis last lost its scripts. Call it before turning off the connection's
   * auto-flush: a load waits for its reply.
   */
  final void loadScripts(Map<String, Long> parts) throws ExecutionException, TimeoutException {
    load(CacheScripts.EVICT_TAG);
    load(CacheScripts.EVICT_CHUNK);
    if (!parts.isEmpty()) {
      load(CacheScripts.ADVANCE_WATERMARK);
    }
  }

  private void load(LuaScript script) throws ExecutionException, TimeoutException {
    if (!loaded.contains(script)) {
      await(script.load(redis));
      loaded.add(script);
    }
  }

  /** Sends the step of one tag (EVALSHA, after {@link #loadScripts}), in the tag's slot. */
  final RedisFuture<List<Object>> sendStep(TagProgress tag) {
    return CacheScripts.EVICT_TAG.evalsha(
        redis,
        ScriptOutputType.MULTI,
        EvictionArguments.evictKeys(tag.tag, EvictionArguments.token()),
        EvictionArguments.evictArgs(versionTtlMillis, tag.position, deleteHere));
  }

  /** Takes in the reply of one tag's step. */
  final void stepped(TagProgress tag, RedisFuture<List<Object>> step)
      throws ExecutionException, TimeoutException {
    List<Object> reply = awaitFor(tag, step);
    if (reply != null) {
      tag.stepped(reply, deleteHere);
    }
  }

  /**
   * Deletes the next chunk of each of the tag's drain keys, one script call at a time; in a
   * cluster, the keys each chunk returns are deleted ({@link #deleteTaken}) before the next.
   *
   * @return whether any drain key has members left
   */
  final boolean drainChunks(TagProgress tag) throws ExecutionException, TimeoutException {
    for (String drain : List.copyOf(tag.drains)) {
      List<Object> reply =
          awaitFor(
              tag,
              CacheScripts.EVICT_CHUNK.evalsha(
                  redis,
                  ScriptOutputType.MULTI,
                  EvictionArguments.chunkKeys(tag.tag, drain),
                  EvictionArguments.chunkArgs(deleteHere)));
      if (reply == null) {
        return false;
      }
      tag.chunked(drain, reply, deleteHere);
      deleteTaken(List.of(tag));
    }
    return !tag.drains.isEmpty();
  }

  /**
   * Deletes the keys that steps of {@code tags} took off their registries for this evictor to
   * delete (a cluster's); nothing for a server, whose scripts delete them.
   */
  void deleteTaken(Collection<TagProgress> tags) throws ExecutionException, TimeoutException {}

  /**
   * Sends the watermark's advance (EVALSHA, after {@link #loadScripts}): only once the evictions it
   * covers are applied, or after them on the same connection (Redis runs them in order), in which
   * case {@code guarded} names the tags whose deletions must be done for it to move.
   */
  final RedisFuture<Long> sendWatermark(
      Map<String, Long> parts, int expectedParts, Collection<String> guarded) {
    return CacheScripts.ADVANCE_WATERMARK.evalsha(
        redis,
        ScriptOutputType.INTEGER,
        EvictionArguments.watermarkKeys(guarded),
        EvictionArguments.watermarkArgs(parts, expectedParts));
  }

  /** Evicts {@code positions}' tags, with no watermark part; per tag, what its eviction did. */
  public Map<String, EvictedTag> evict(Map<String, Long> positions) {
    return evict(positions, Map.of(), 0).tags();
  }

  @Override
  public Run start(Map<String, Long> positions, Map<String, Long> parts, int expectedParts) {
    return new EvictionRun(this, positions, parts, expectedParts, maxBackoff);
  }

  /** Redis lost its scripts (NOSCRIPT): they are loaded again before the next attempt. */
  final void scriptsLost() {
    loaded.clear();
  }

  final boolean isClosed() {
    return closed;
  }

  /** The time by which the current attempt's replies must have come; 0 for none but the default. */
  final void deadline(long nanos) {
    deadlineNanos = nanos;
  }

  /**
   * Awaits a reply of {@code tag}'s eviction; if Redis refused it for good, the tag is given up and
   * the answer is null. A transient failure is thrown: the batch is attempted again.
   */
  final <T> T awaitFor(TagProgress tag, RedisFuture<T> future)
      throws ExecutionException, TimeoutException {
    try {
      return await(future);
    } catch (ExecutionException e) {
      if (!RedisFailures.isPermanent(e)) {
        throw e;
      }
      LOG.warn("giving up the eviction of tag {}: {}", tag.tag, RedisFailures.reason(e));
      tag.failed(RedisFailures.reason(e));
      return null;
    }
  }

  /** Awaits the watermark's advance; a refusal for good is thrown as {@link WatermarkRefused}. */
  final long awaitWatermark(RedisFuture<Long> future) throws ExecutionException, TimeoutException {
    try {
      return await(future);
    } catch (ExecutionException e) {
      if (RedisFailures.isPermanent(e)) {
        throw new WatermarkRefused(RedisFailures.reason(e));
      }
      throw e;
    }
  }

  /** Redis refused the watermark's advance for good. */
  static final class WatermarkRefused extends RuntimeException {
    WatermarkRefused(String reason) {
      super(reason, null, false, false);
    }
  }

  <T> T await(RedisFuture<T> future) throws ExecutionException, TimeoutException {
    try {
      long wait = TIMEOUT.toNanos();
      if (deadlineNanos != 0) {
        // Within the caller's budget, but long enough for a healthy reply.
        wait = Math.max(MIN_WAIT.toNanos(), Math.min(wait, deadlineNanos - System.nanoTime()));
      }
      return future.get(wait, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while evicting", e);
    }
  }

  /** Makes a retry loop in progress give up (at shutdown); its batch stays uncommitted. */
  public void close() {
    closed = true;
  }
}
