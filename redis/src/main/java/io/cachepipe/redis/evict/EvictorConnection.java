package io.cachepipe.redis.evict;

import io.cachepipe.core.config.Connections;
import io.cachepipe.redis.RedisConnector;
import io.cachepipe.redis.RedisSession;
import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;

/**
 * An eviction step's connection to Redis, a server or a Redis Cluster as {@code
 * cachepipe.redis.mode} says (TLS as configured), and the per-tag eviction on it: {@link
 * RedisTagEvictor} or {@link ClusterTagEvictor}. Commands fail at once while Redis is unreachable;
 * the evictor retries the whole batch, and the connection comes back within its backoff.
 */
public final class EvictorConnection implements AutoCloseable {

  private final RedisConnector connector;
  private final RedisSession session;
  private final RetryingTagEvictor evictor;

  private EvictorConnection(
      RedisConnector connector, RedisSession session, RetryingTagEvictor evictor) {
    this.connector = connector;
    this.session = session;
    this.evictor = evictor;
  }

  /**
   * Connects; a refusal (unreachable, wrong credentials) is one line naming {@code user}, the
   * server (its credentials masked) and Redis' reason.
   *
   * @throws IllegalStateException if Redis cannot be reached
   */
  public static EvictorConnection open(
      Connections connections, EvictionConfig config, String user) {
    // Reconnects within the evictor's backoff, not on Lettuce's schedule of up to 30 s.
    RedisConnector connector =
        RedisConnector.builder()
            .connections(connections)
            .maxReconnectDelay(config.maxRetryBackoff())
            .build();
    RedisSession session;
    try {
      session = connector.connect();
    } catch (RedisException e) {
      connector.close();
      throw new IllegalStateException(user + ": " + e.getMessage(), e);
    }
    return new EvictorConnection(connector, session, evictorOn(session, config));
  }

  /** The per-tag eviction step on {@code session}'s connection: a server's, or a cluster's. */
  static RetryingTagEvictor evictorOn(RedisSession session, EvictionConfig config) {
    return session.connection() instanceof StatefulRedisClusterConnection<String, String> cluster
        ? new ClusterTagEvictor(cluster, config.versionTtl(), config.maxRetryBackoff())
        : new RedisTagEvictor(
            (StatefulRedisConnection<String, String>) session.connection(),
            config.versionTtl(),
            config.maxRetryBackoff());
  }

  /** The per-tag eviction step on this connection. */
  public RetryingTagEvictor evictor() {
    return evictor;
  }

  /**
   * The connection's commands; against a cluster, SCAN walks every master and multi-key commands
   * are split by slot.
   */
  public RedisClusterCommands<String, String> commands() {
    return session.commands();
  }

  /** Makes an eviction retry in progress give up, and closes the connection. */
  @Override
  public void close() {
    evictor.close();
    session.close();
    connector.close();
  }
}
