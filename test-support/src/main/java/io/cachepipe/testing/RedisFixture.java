package io.cachepipe.testing;

import io.cachepipe.servers.RespConnection;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

/**
 * A Redis server: the one without a password that the tests of one JVM share, or one of a test's
 * own that requires a password ({@link TestServers#redisRequiringPassword}).
 */
public final class RedisFixture implements AutoCloseable {

  private final String host;
  private final int port;
  private final String password;
  private final AutoCloseable server;

  RedisFixture(String host, int port, String password, AutoCloseable server) {
    this.host = host;
    this.port = port;
    this.password = password;
    this.server = server;
  }

  /**
   * {@code redis://HOST:PORT}, as Lettuce's {@code RedisClient.create} takes it; without
   * credentials, also when the server requires a password.
   */
  public String uri() {
    return "redis://" + host + ":" + port;
  }

  /** The password the server requires, if it requires one. */
  public Optional<String> password() {
    return Optional.ofNullable(password);
  }

  /** Host name or address clients connect to. */
  public String host() {
    return host;
  }

  /** TCP port clients connect to. */
  public int port() {
    return port;
  }

  /** Deletes every key of every database, so that a test starts from an empty cache. */
  public void flushAll() {
    try (RespConnection connection = RespConnection.open(host, port, Duration.ofSeconds(10))) {
      if (password != null) {
        connection.call("AUTH", password);
      }
      String reply = connection.call("FLUSHALL");
      if (!"OK".equals(reply)) {
        throw new FixtureException("FLUSHALL on " + uri() + " answered " + reply);
      }
    } catch (IOException e) {
      throw new FixtureException("cannot FLUSHALL " + uri(), e);
    }
  }

  /** Stops the server. {@link TestServers} does this when the JVM exits, if nothing did before. */
  @Override
  public void close() throws Exception {
    server.close();
  }

  @Override
  public String toString() {
    return "RedisFixture[" + uri() + "]";
  }
}
