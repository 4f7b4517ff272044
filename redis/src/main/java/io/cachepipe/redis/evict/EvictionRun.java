package io.cachepipe.redis.evict;

import io.cachepipe.redis.LuaScript;
import io.cachepipe.redis.RedisFailures;
import io.cachepipe.redis.evict.RetryingTagEvictor.WatermarkRefused;
import io.lettuce.core.RedisException;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * One batch's eviction by a {@link RetryingTagEvictor}, attempted until Redis applied it. Transient
 * failures are retried with a backoff doubling up to the evictor's maximum, a call of {@link
 * #tryFor} at a time; what the attempts did is kept across calls. A failure Redis will answer the
 * same way forever gives the tags it concerns up (all of them when it is not a tag's own, such as
 * NOPERM on loading the scripts, or NOSCRIPT right after they were loaded again).
 */
final class EvictionRun implements TagEvictor.Run {

  private static final Logger LOG = LoggerFactory.getLogger(EvictionRun.class);
  private static final long FIRST_BACKOFF_MILLIS = 50;

  private final RetryingTagEvictor evictor;
  private final Map<String, TagProgress> tags = new LinkedHashMap<>();
  private final Duration maxBackoff;
  private final int expectedParts;
  private Map<String, Long> parts;
  private String watermarkFailure;
  private long backoffMillis = FIRST_BACKOFF_MILLIS;
  private boolean reloadedScripts;
  private String lastFailure;

  EvictionRun(
      RetryingTagEvictor evictor,
      Map<String, Long> positions,
      Map<String, Long> parts,
      int expectedParts,
      Duration maxBackoff) {
    this.evictor = evictor;
    positions.forEach((tag, position) -> tags.put(tag, new TagProgress(tag, position)));
    this.parts = new HashMap<>(parts);
    this.expectedParts = expectedParts;
    this.maxBackoff = maxBackoff;
  }

  @Override
  public TagEvictor.Evicted tryFor(Duration budget) {
    long deadline = System.nanoTime() + budget.toNanos();
    while (true) {
      var left = tags.values().stream().filter(t -> !t.isFailed()).toList();
      if (left.isEmpty() && parts.isEmpty()) {
        return result(-2);
      }
      try {
        evictor.deadline(deadline);
        long watermark = evictor.attempt(left, parts, expectedParts);
        lastFailure = null;
        backoffMillis = FIRST_BACKOFF_MILLIS;
        return result(watermarkFailure == null ? watermark : -2);
      } catch (WatermarkRefused e) {
        LOG.warn("giving up the watermark's advance {}: {}", parts, e.getMessage());
        watermarkFailure = e.getMessage();
        parts = Map.of(); // the tags, applied or not, are attempted again without it
      } catch (RedisException | ExecutionException | TimeoutException e) {
        if (evictor.isClosed()) {
          throw new IllegalStateException(
              "evictor closed with " + tags.size() + " tags unapplied", e);
        }
        if (!retry(e, deadline)) {
          return null;
        }
      } finally {
        evictor.deadline(0);
      }
    }
  }

  /** Handles a failed attempt; whether to attempt again now (after a backoff if transient). */
  private boolean retry(Exception e, long deadline) {
    Throwable cause = RedisFailures.unwrap(e);
    String reason = RedisFailures.reason(cause);
    if (LuaScript.isNoScript(cause)) {
      if (!reloadedScripts) {
        // Redis restarted or flushed its scripts: load them again, retry at once
        reloadedScripts = true;
        evictor.scriptsLost();
        return true;
      }
      giveUpAll("NOSCRIPT right after loading the scripts again: " + reason);
      return true;
    }
    if (RedisFailures.isPermanent(cause)) {
      giveUpAll(reason);
      return true;
    }
    reloadedScripts = false;
    if (lastFailure == null || LOG.isDebugEnabled()) {
      // Once per outage at WARN: the caller's health check tells how long it lasts.
      LOG.atLevel(lastFailure == null ? Level.WARN : Level.DEBUG)
          .log(
              "evicting {} tags (first {}) failed, retrying in {} ms: {}",
              tags.size(),
              tags.isEmpty() ? "none" : tags.keySet().iterator().next(),
              backoffMillis,
              reason);
    }
    lastFailure = reason;
    if (System.nanoTime() + backoffMillis * 1_000_000 > deadline) {
      // Back off in the caller's time: it polls its consumer meanwhile.
      return false;
    }
    sleep(backoffMillis);
    backoffMillis = Math.min(backoffMillis * 2, maxBackoff.toMillis());
    return true;
  }

  /** A refusal for good that is no tag's own: every tag left, and the watermark, are given up. */
  private void giveUpAll(String reason) {
    LOG.warn("giving up the eviction of {} tags and the watermark: {}", tags.size(), reason);
    for (TagProgress tag : tags.values()) {
      if (!tag.isFailed()) {
        tag.failed(reason);
      }
    }
    if (!parts.isEmpty()) {
      watermarkFailure = reason;
      parts = Map.of();
    }
  }

  private TagEvictor.Evicted result(long watermark) {
    Map<String, TagEvictor.EvictedTag> evicted = new LinkedHashMap<>();
    tags.forEach((tag, progress) -> evicted.put(tag, progress.result()));
    return new TagEvictor.Evicted(evicted, watermark, watermarkFailure);
  }

  @Override
  public String lastFailure() {
    return lastFailure;
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
