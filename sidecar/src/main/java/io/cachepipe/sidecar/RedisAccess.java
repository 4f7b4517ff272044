package io.cachepipe.sidecar;

import io.cachepipe.client.ClusterConnections;
import io.cachepipe.client.RedisClientOptions;
import io.cachepipe.core.config.ConfigException;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.RedisTls;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import javax.net.ssl.SSLException;

/**
 * The sidecar's own Redis connections (the start check, the audit, the admin port's probe), to a
 * Redis server or a Redis Cluster as {@code cachepipe.redis.mode} says, whose failures are one
 * line: the address with its credentials masked, and Redis' reason ({@code WRONGPASS ...}).
 */
public final class RedisAccess {

  private RedisAccess() {}

  /**
   * A client of the Redis of {@code connections} whose connection attempts and commands give up
   * after {@code timeout}, and whose commands are rejected at once while it is disconnected.
   */
  public static AbstractRedisClient client(Connections connections, Duration timeout) {
    try {
      if (connections.redisCluster()) {
        return ClusterConnections.client(connections.redisUris(), connections.redisTls(), timeout);
      }
      RedisURI uri = RedisURI.create(connections.redisUri());
      uri.setTimeout(timeout);
      RedisClient client = RedisClient.create(uri);
      client.setOptions(
          RedisClientOptions.failFast(ClientOptions.builder(), timeout, connections.redisTls())
              .build());
      return client;
    } catch (IllegalArgumentException e) {
      // Not Lettuce's message: it may quote the URI, password and all.
      throw new ConfigException(
          Connections.REDIS_URI.name()
              + ": expected a URI such as redis://host:6379, got '"
              + connections.redisAddress()
              + "'");
    }
  }

  /**
   * Connects {@code client} (from {@link #client}).
   *
   * @throws RedisAccessException naming the server and Redis' reason
   */
  public static Session connect(AbstractRedisClient client, Connections connections) {
    try {
      if (client instanceof RedisClusterClient cluster) {
        StatefulRedisClusterConnection<String, String> c = ClusterConnections.connect(cluster);
        return new Session(c, c.sync());
      }
      StatefulRedisConnection<String, String> c = ((RedisClient) client).connect();
      return new Session(c, c.sync());
    } catch (RedisException e) {
      Throwable cause = e;
      boolean tls = false;
      while (cause.getCause() != null) {
        cause = cause.getCause();
        tls |= cause instanceof SSLException;
      }
      String reason =
          tls
              ? "TLS handshake failed ("
                  + cause.getMessage()
                  + "); if the server's certificate is not trusted, set "
                  + RedisTls.TRUSTSTORE_PATH.name()
                  + " to its CA certificate"
              : cause.getMessage();
      throw new RedisAccessException(
          "cannot connect to Redis at " + connections.redisAddress() + ": " + reason, e);
    }
  }

  /**
   * Checks that the Redis of {@code connections} (every master of a cluster) answers {@code PING}
   * with the configured credentials, so that a wrong password stops {@code run} at start in one
   * line instead of failing a stage later (the warmer would only count failed fills).
   */
  public static void check(Connections connections) {
    AbstractRedisClient client = client(connections, Duration.ofSeconds(5));
    try (Session session = connect(client, connections)) {
      List<String> replies = session.pingAll();
      if (replies.isEmpty() || !replies.stream().allMatch("PONG"::equals)) {
        throw new RedisAccessException(
            "Redis at " + connections.redisAddress() + " answered PING with " + replies, null);
      }
    } catch (RedisException e) {
      throw new RedisAccessException(
          "Redis at " + connections.redisAddress() + " does not answer: " + e.getMessage(), e);
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }

  /**
   * A connection and its synchronous commands: those of a Redis server, or of a Redis Cluster
   * (where SCAN walks every master and multi-key commands are split by slot).
   *
   * @param connection the connection, closed by {@link #close()}
   * @param commands its synchronous commands
   */
  public record Session(
      StatefulConnection<String, String> connection, RedisClusterCommands<String, String> commands)
      implements AutoCloseable {

    /** Whether this is a connection to a Redis Cluster. */
    public boolean isCluster() {
      return connection instanceof StatefulRedisClusterConnection;
    }

    /** The {@code PING} reply of the server, or of every master of a cluster. */
    public List<String> pingAll() {
      return upstream(RedisClusterCommands::ping);
    }

    /** {@code INFO section} of the server, or of every master of a cluster. */
    public List<String> infoAll(String section) {
      return upstream(c -> c.info(section));
    }

    private List<String> upstream(Function<RedisClusterCommands<String, String>, String> command) {
      if (connection instanceof StatefulRedisClusterConnection<String, String> cluster) {
        return cluster.sync().upstream().asMap().values().stream().map(command).toList();
      }
      return List.of(command.apply(commands));
    }

    @Override
    public void close() {
      connection.close();
    }
  }

  /** Redis cannot be reached, or refused the credentials. */
  public static final class RedisAccessException extends RuntimeException {
    RedisAccessException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
