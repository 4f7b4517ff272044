package io.cachepipe.testing;

import io.cachepipe.servers.RespConnection;
import java.io.IOException;
import java.time.Duration;

/** A Redis server without a password, shared by the tests of one JVM. */
public final class RedisFixture implements AutoCloseable {

  private final String host;
  private final int port;
  private final AutoCloseable server;

  RedisFixture(String host, int port, AutoCloseable server) {
    this.host = host;
    this.port = port;
    this.server = server;
  }

  /** {@code redis://HOST:PORT}, as Lettuce's {@code RedisClient.create} takes it. */
  public String uri() {
    return "redis://" + host + ":" + port;
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
      String reply = connection.call("FLUSHALL");
      if (!"OK".equals(reply)) {
        throw new FixtureException("FLUSHALL on " + uri() + " answered " + reply);
      }
    } catch (IOException e) {
      throw new FixtureException("cannot FLUSHALL " + uri(), e);
    }
  }

  /** Stops the server. {@link TestServers} does this when the JVM exits. */
  @Override
  public void close() throws Exception {
    server.close();
  }

  @Override
  public String toString() {
    return "RedisFixture[" + uri() + "]";
  }
}
