package io.cachepipe.sidecar.admin;

import io.cachepipe.client.RedisTlsOptions;
import io.cachepipe.core.config.RedisTls;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether Redis answers, asked live for readiness ({@link #ping()}), and its keyspace hits and
 * misses, read by {@link #refresh()} on the admin port's interval. One connection of its own,
 * failing fast while Redis is down.
 */
final class RedisProbe implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RedisProbe.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(1);

  private final RedisClient client;
  private StatefulRedisConnection<String, String> connection;
  private volatile long keyspaceHits;
  private volatile long keyspaceMisses;

  RedisProbe(String redisUri, RedisTls tls) {
    RedisURI uri = RedisURI.create(redisUri);
    uri.setTimeout(TIMEOUT);
    this.client = RedisClient.create(uri);
    client.setOptions(
        RedisTlsOptions.apply(
                ClientOptions.builder()
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .socketOptions(SocketOptions.builder().connectTimeout(TIMEOUT).build())
                    .timeoutOptions(TimeoutOptions.enabled(TIMEOUT)),
                tls)
            .build());
  }

  /** {@code PONG}, or why Redis did not answer. */
  Part ping() {
    try {
      String reply = connection().sync().ping();
      return new Part(reply, "PONG".equals(reply));
    } catch (RuntimeException e) {
      return new Part("no answer: " + e.getMessage(), false);
    }
  }

  /** Reads the keyspace hits and misses from {@code INFO stats}; keeps the last on failure. */
  void refresh() {
    try {
      String info = connection().sync().info("stats");
      for (String line : info.split("\r?\n")) {
        if (line.startsWith("keyspace_hits:")) {
          keyspaceHits = Long.parseLong(line.substring("keyspace_hits:".length()).trim());
        } else if (line.startsWith("keyspace_misses:")) {
          keyspaceMisses = Long.parseLong(line.substring("keyspace_misses:".length()).trim());
        }
      }
    } catch (RuntimeException e) {
      LOG.debug("reading Redis INFO stats: {}", e.getMessage());
    }
  }

  /** Key lookups that found a key, on the whole server, as of the last refresh. */
  long keyspaceHits() {
    return keyspaceHits;
  }

  /** Key lookups that found nothing, on the whole server, as of the last refresh. */
  long keyspaceMisses() {
    return keyspaceMisses;
  }

  private synchronized StatefulRedisConnection<String, String> connection() {
    if (connection == null) {
      // Once connected, Lettuce reconnects by itself; until then, each call tries again.
      connection = client.connect();
    }
    return connection;
  }

  @Override
  public synchronized void close() {
    if (connection != null) {
      connection.close();
    }
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }
}
