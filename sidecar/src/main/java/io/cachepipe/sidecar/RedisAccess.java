package io.cachepipe.sidecar;

import io.cachepipe.core.config.ConfigException;
import io.cachepipe.core.config.Connections;
import io.cachepipe.redis.RedisConnector;
import io.cachepipe.redis.RedisSession;
import io.lettuce.core.RedisException;
import java.time.Duration;
import java.util.List;

/**
 * The sidecar's own Redis connections (the start check, the audit, the admin port's probe), to a
 * Redis server or a Redis Cluster as {@code cachepipe.redis.mode} says, whose failures are one
 * line: the address with its credentials masked, and Redis' reason ({@code WRONGPASS ...}).
 */
public final class RedisAccess {

  private RedisAccess() {}

  /**
   * A connector of the Redis of {@code connections} whose connection attempts and commands give up
   * after {@code timeout}, and whose commands are rejected at once while it is disconnected.
   *
   * @throws ConfigException if the Redis URI is malformed
   */
  public static RedisConnector client(Connections connections, Duration timeout) {
    try {
      return RedisConnector.builder().connections(connections).timeout(timeout).build();
    } catch (IllegalArgumentException e) {
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
  public static RedisSession connect(RedisConnector client) {
    try {
      return client.connect();
    } catch (RedisException e) {
      throw new RedisAccessException(e.getMessage(), e);
    }
  }

  /**
   * Checks that the Redis of {@code connections} (every master of a cluster) answers {@code PING}
   * with the configured credentials, so that a wrong password stops {@code run} at start in one
   * line instead of failing a stage later (the warmer would only count failed fills).
   */
  public static void check(Connections connections) {
    try (RedisConnector client = client(connections, Duration.ofSeconds(5));
        RedisSession session = connect(client)) {
      List<String> replies = session.pingAll();
      if (replies.isEmpty() || !replies.stream().allMatch("PONG"::equals)) {
        throw new RedisAccessException(
            "Redis at " + connections.redisAddress() + " answered PING with " + replies, null);
      }
    } catch (RedisException e) {
      throw new RedisAccessException(
          "Redis at " + connections.redisAddress() + " does not answer: " + e.getMessage(), e);
    }
  }

  /** Redis cannot be reached, or refused the credentials. */
  public static final class RedisAccessException extends RuntimeException {
    RedisAccessException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
