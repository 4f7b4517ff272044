package io.cachepipe.invalidator;

import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the Redis evictors share: a batch is attempted until Redis applied all of it, with backoff
 * while Redis fails, so no invalidation is committed past an unapplied eviction; a lost script
 * cache (Redis restarted or flushed) is reloaded and the batch retried at once.
 */
abstract class RetryingTagEvictor implements TagEvictor {

  private static final Logger LOG = LoggerFactory.getLogger(RetryingTagEvictor.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final RedisClusterAsyncCommands<String, String> redis;
  private final String evictScript;
  private final Duration maxBackoff;

  /** The tag version's time to live, in milliseconds: the eviction script's argument. */
  final String versionTtlMillis;

  private String evictSha;
  private String watermarkSha;
  private volatile boolean closed;

  /**
   * @param redis the connection's commands (a server's, or a cluster's, where a script loads on
   *     every master)
   * @param evictScript the per-tag eviction script
   * @param versionTtl how long a tag version outlives its last bump; far longer than any fill
   * @param maxBackoff the longest wait between retries while Redis is unreachable
   */
  RetryingTagEvictor(
      RedisClusterAsyncCommands<String, String> redis,
      String evictScript,
      Duration versionTtl,
      Duration maxBackoff) {
    this.redis = redis;
    this.evictScript = evictScript;
    this.versionTtlMillis = Long.toString(versionTtl.toMillis());
    this.maxBackoff = maxBackoff;
  }

  /**
   * The eviction script's digest, loaded first if it is not. Call it before turning off the
   * connection's auto-flush: the load waits for its reply.
   */
  final String evictSha() throws ExecutionException, TimeoutException {
    if (evictSha == null) {
      evictSha = await(redis.scriptLoad(evictScript));
    }
    return evictSha;
  }

  /** The watermark script's digest, loaded first if it is not (see {@link #evictSha}). */
  final String watermarkSha() throws ExecutionException, TimeoutException {
    if (watermarkSha == null) {
      watermarkSha = await(redis.scriptLoad(RedisTagEvictor.WATERMARK_SCRIPT));
    }
    return watermarkSha;
  }

  /** One attempt at the whole batch; it must be safe to repeat (evictions are idempotent). */
  abstract Evicted attempt(Collection<String> tags, Map<String, Long> parts, int expectedParts)
      throws ExecutionException, TimeoutException;

  /** Evicts {@code tags}, with no watermark part. */
  public Map<String, List<String>> evict(Collection<String> tags) {
    return evict(tags, Map.of(), 0).live();
  }

  /** Forgets the loaded scripts' digests: the next attempt loads them again. */
  private void scriptsLost() {
    evictSha = null;
    watermarkSha = null;
  }

  @Override
  public Evicted evict(Collection<String> tags, Map<String, Long> parts, int expectedParts) {
    long backoffMillis = 50;
    while (true) {
      try {
        return attempt(tags, parts, expectedParts);
      } catch (RedisException | ExecutionException | TimeoutException e) {
        if (closed) {
          throw new IllegalStateException(
              "evictor closed with " + tags.size() + " tags unapplied", e);
        }
        Throwable cause =
            e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof RedisNoScriptException) {
          // Redis restarted or flushed its scripts: load them again, retry at once
          scriptsLost();
          continue;
        }
        LOG.warn(
            "evicting {} tags (first {}) failed, retrying in {} ms: {}",
            tags.size(),
            tags.isEmpty() ? "none" : tags.iterator().next(),
            backoffMillis,
            cause.getMessage());
        sleep(backoffMillis);
        backoffMillis = Math.min(backoffMillis * 2, maxBackoff.toMillis());
      }
    }
  }

  <T> T await(RedisFuture<T> future) throws ExecutionException, TimeoutException {
    try {
      return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while evicting", e);
    }
  }

  /** Makes a retry loop in progress give up (at shutdown); its batch stays uncommitted. */
  void close() {
    closed = true;
  }

  private void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for Redis", e);
    }
  }
}
