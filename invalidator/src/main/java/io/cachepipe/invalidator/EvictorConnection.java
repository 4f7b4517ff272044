package io.cachepipe.invalidator;

import io.cachepipe.client.ClusterConnections;
import io.cachepipe.client.RedisClientOptions;
import io.cachepipe.core.config.Connections;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The eviction step's connection to Redis, a server or a Redis Cluster as {@code
 * cachepipe.redis.mode} says (TLS as configured), and the per-tag eviction on it: {@link
 * RedisTagEvictor} or {@link ClusterTagEvictor}. Commands fail at once while Redis is unreachable;
 * the evictor retries the whole batch, and the connection comes back within its backoff.
 */
final class EvictorConnection implements AutoCloseable {

  private final ClientResources resources;
  private final AbstractRedisClient client;
  private final StatefulConnection<String, String> connection;
  private final RedisClusterCommands<String, String> commands;
  private final RetryingTagEvictor evictor;

  private EvictorConnection(
      ClientResources resources,
      AbstractRedisClient client,
      StatefulConnection<String, String> connection,
      RedisClusterCommands<String, String> commands,
      RetryingTagEvictor evictor) {
    this.resources = resources;
    this.client = client;
    this.connection = connection;
    this.commands = commands;
    this.evictor = evictor;
  }

  /**
   * Connects; a refusal (unreachable, wrong credentials) is one line naming {@code user}, the
   * server (its credentials masked) and Redis' reason.
   */
  static EvictorConnection open(Connections connections, InvalidatorConfig config, String user) {
    // Lettuce reconnects on a schedule of its own that doubles up to 30 s: after an outage the
    // connection would come back up to 30 s after Redis, whatever the evictor's backoff says.
    Duration backoff = config.maxRetryBackoff();
    ClientResources resources =
        ClientResources.builder()
            .reconnectDelay(
                Delay.exponential(
                    Duration.ofMillis(Math.min(50, backoff.toMillis())),
                    backoff,
                    2,
                    TimeUnit.MILLISECONDS))
            .build();
    try {
      if (connections.redisCluster()) {
        RedisClusterClient client =
            RedisClusterClient.create(
                resources, connections.redisUris().stream().map(RedisURI::create).toList());
        client.setOptions(
            RedisClientOptions.apply(
                    ClusterClientOptions.builder()
                        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                        .topologyRefreshOptions(
                            ClusterTopologyRefreshOptions.builder()
                                .enableAllAdaptiveRefreshTriggers()
                                .build()),
                    connections.redisTls())
                .build());
        StatefulRedisClusterConnection<String, String> c =
            connect(client, () -> ClusterConnections.connect(client), connections, user);
        return new EvictorConnection(
            resources, client, c, c.sync(), new ClusterTagEvictor(c, config.versionTtl(), backoff));
      }
      RedisClient client = RedisClient.create(resources, connections.redisUri());
      client.setOptions(
          RedisClientOptions.apply(
                  ClientOptions.builder()
                      .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS),
                  connections.redisTls())
              .build());
      StatefulRedisConnection<String, String> c =
          connect(client, client::connect, connections, user);
      return new EvictorConnection(
          resources, client, c, c.sync(), new RedisTagEvictor(c, config.versionTtl(), backoff));
    } catch (RuntimeException e) {
      resources.shutdown();
      throw e;
    }
  }

  /** The per-tag eviction step on this connection. */
  RetryingTagEvictor evictor() {
    return evictor;
  }

  /**
   * The connection's commands; against a cluster, SCAN walks every master and multi-key commands
   * are split by slot.
   */
  RedisClusterCommands<String, String> commands() {
    return commands;
  }

  /** Makes an eviction retry in progress give up, and closes the connection. */
  @Override
  public void close() {
    evictor.close();
    connection.close();
    client.shutdown();
    resources.shutdown();
  }

  private static <C> C connect(
      AbstractRedisClient client, Supplier<C> connect, Connections connections, String user) {
    try {
      return connect.get();
    } catch (RedisException e) {
      client.shutdown();
      Throwable cause = e;
      while (cause.getCause() != null) {
        cause = cause.getCause();
      }
      throw new IllegalStateException(
          user
              + ": cannot connect to Redis at "
              + connections.redisAddress()
              + ": "
              + cause.getMessage(),
          e);
    }
  }
}
