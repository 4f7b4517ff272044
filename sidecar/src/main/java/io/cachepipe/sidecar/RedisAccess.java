package io.cachepipe.sidecar;

import io.cachepipe.client.RedisTlsOptions;
import io.cachepipe.core.config.ConfigException;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.RedisTls;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import javax.net.ssl.SSLException;

/**
 * The sidecar's own Redis connections (the start check, the audit), whose failures are one line:
 * the address with its credentials masked, and Redis' reason ({@code WRONGPASS ...}).
 */
public final class RedisAccess {

  private RedisAccess() {}

  /**
   * A client of the Redis of {@code connections} whose connection attempts and commands give up
   * after {@code timeout}.
   */
  public static RedisClient client(Connections connections, Duration timeout) {
    RedisURI uri;
    try {
      uri = RedisURI.create(connections.redisUri());
    } catch (IllegalArgumentException e) {
      // Not Lettuce's message: it may quote the URI, password and all.
      throw new ConfigException(
          Connections.REDIS_URI.name()
              + ": expected a URI such as redis://host:6379, got '"
              + connections.redisAddress()
              + "'");
    }
    uri.setTimeout(timeout);
    RedisClient client = RedisClient.create(uri);
    client.setOptions(
        RedisTlsOptions.apply(
                ClientOptions.builder()
                    .socketOptions(SocketOptions.builder().connectTimeout(timeout).build()),
                connections.redisTls())
            .build());
    return client;
  }

  /**
   * Connects {@code client}.
   *
   * @throws RedisAccessException naming the server and Redis' reason
   */
  public static StatefulRedisConnection<String, String> connect(
      RedisClient client, Connections connections) {
    try {
      return client.connect();
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
   * Checks that the Redis of {@code connections} answers {@code PING} with the configured
   * credentials, so that a wrong password stops {@code run} at start in one line instead of failing
   * a stage later (the warmer would only count failed fills).
   */
  public static void check(Connections connections) {
    RedisClient client = client(connections, Duration.ofSeconds(5));
    try (StatefulRedisConnection<String, String> connection = connect(client, connections)) {
      connection.sync().ping();
    } catch (RedisException e) {
      throw new RedisAccessException(
          "Redis at " + connections.redisAddress() + " does not answer: " + e.getMessage(), e);
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }

  /** Redis cannot be reached, or refused the credentials. */
  public static final class RedisAccessException extends RuntimeException {
    RedisAccessException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
