package io.cachepipe.redis.evict;

import io.cachepipe.core.config.Connections;
import io.cachepipe.redis.LazyConnection;
import io.cachepipe.redis.LuaScript;
import io.cachepipe.redis.RedisConnector;
import io.cachepipe.redis.RedisSession;
import io.lettuce.core.RedisException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Evicts tags in one attempt that is never retried: the eviction at capture, which is best effort
 * while the eviction step behind Kafka stays the authority (it retries until Redis applied it, and
 * skips what was evicted here first). The steps are the eviction step's own, one pipelined round
 * trip of {@code evict_tag.lua} at each tag's commit position (plus the chunks of a registry larger
 * than a chunk), so the two evictors of one change fence each other by that position.
 *
 * <p>A call waits at most the command timeout for Redis; while Redis is unreachable it fails at
 * once (the connection is opened on first use, and again at most every {@link
 * LazyConnection#RETRY_AFTER} after a failed attempt). Not thread-safe.
 */
public final class SingleAttemptEvictor implements AutoCloseable {

  private final LazyConnection connection;
  private final EvictionConfig config;
  private RedisSession session;
  private RetryingTagEvictor evictor;

  private SingleAttemptEvictor(LazyConnection connection, EvictionConfig config) {
    this.connection = connection;
    this.config = config;
  }

  /**
   * An evictor of the configured Redis (a server or a cluster); it connects on first use.
   *
   * @param timeout the longest one call waits for Redis
   */
  public static SingleAttemptEvictor create(
      Connections connections, EvictionConfig config, Duration timeout) {
    RedisConnector connector =
        RedisConnector.builder()
            .connections(connections)
            .timeout(timeout)
            .maxReconnectDelay(config.maxRetryBackoff())
            .build();
    return new SingleAttemptEvictor(new LazyConnection(connector), config);
  }

  /**
   * Evicts each tag of {@code positions} at its commit position, once.
   *
   * @return per tag, what its eviction did ({@link TagEvictor.EvictedTag#skipped()} when it had
   *     been evicted at that position or a later one)
   * @throws RedisException if Redis cannot be reached, fails, or does not answer in time; some of
   *     the tags may have been evicted
   */
  public Map<String, TagEvictor.EvictedTag> evict(Map<String, Long> positions) {
    RedisSession current = currentSession();
    Map<String, TagProgress> tags = new LinkedHashMap<>();
    positions.forEach((tag, position) -> tags.put(tag, new TagProgress(tag, position)));
    try {
      evictor.attempt(tags.values(), Map.of(), 0);
    } catch (ExecutionException | TimeoutException | RedisException e) {
      RedisException failure = asRedisException(e);
      if (LuaScript.isNoScript(failure)) {
        // Redis lost its scripts; a fresh evictor loads them again before its next attempt.
        evictor = EvictorConnection.evictorOn(current, config);
      }
      throw failure;
    }
    Map<String, TagEvictor.EvictedTag> evicted = new LinkedHashMap<>();
    tags.forEach((tag, progress) -> evicted.put(tag, progress.result()));
    return evicted;
  }

  /**
   * Opens the connection and loads the eviction's scripts, so that the first eviction pays for
   * neither.
   *
   * @throws RedisException if Redis cannot be reached or does not answer in time
   */
  public void connect() {
    currentSession();
    try {
      evictor.loadScripts(Map.of());
    } catch (ExecutionException | TimeoutException e) {
      throw asRedisException(e);
    }
  }

  private static RedisException asRedisException(Exception e) {
    Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    return cause instanceof RedisException redis
        ? redis
        : new RedisException(String.valueOf(cause.getMessage()), cause);
  }

  private RedisSession currentSession() {
    RedisSession current = connection.session();
    if (current != session) {
      session = current;
      evictor = EvictorConnection.evictorOn(current, config);
    }
    return current;
  }

  /** Closes the connection, if it was opened. */
  @Override
  public void close() {
    connection.close();
  }
}
