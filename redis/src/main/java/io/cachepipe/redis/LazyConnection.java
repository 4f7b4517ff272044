package io.cachepipe.redis;

import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import java.time.Duration;

/**
 * A connection opened on first use, so that its owner can start while Redis is down. After a failed
 * attempt, calls fail at once for {@link #RETRY_AFTER} rather than each waiting for a connect
 * timeout; once open, Lettuce reconnects it by itself. Thread-safe.
 */
public final class LazyConnection implements AutoCloseable {

  /** How long after a failed connection attempt the next one is made. */
  public static final Duration RETRY_AFTER = Duration.ofSeconds(1);

  private final RedisConnector connector;
  private final Object connecting = new Object();
  private volatile RedisSession session;
  private volatile long nextAttemptNanos;

  /**
   * @param connector the connector it opens its connection with, and closes with it
   */
  public LazyConnection(RedisConnector connector) {
    this.connector = connector;
  }

  /**
   * The connection, opened now if it is not yet.
   *
   * @throws RedisConnectionException if it cannot be opened (naming the server and Redis' reason),
   *     or an attempt failed less than {@link #RETRY_AFTER} ago
   */
  public RedisSession session() {
    RedisSession s = session;
    if (s != null) {
      return s;
    }
    synchronized (connecting) {
      if (session == null) {
        if (System.nanoTime() < nextAttemptNanos) {
          throw new RedisConnectionException("Redis unreachable; next connection attempt soon");
        }
        try {
          session = connector.connect();
        } catch (RedisException e) {
          nextAttemptNanos = System.nanoTime() + RETRY_AFTER.toNanos();
          throw e;
        }
      }
      return session;
    }
  }

  /** Whether the connection is to a Redis Cluster (known without connecting). */
  public boolean isCluster() {
    return connector.isCluster();
  }

  /** Closes the connection, if it was opened, and the connector. */
  @Override
  public void close() {
    RedisSession s = session;
    if (s != null) {
      s.close();
    }
    connector.close();
  }
}
