package io.cachepipe.sidecar.admin;

import io.cachepipe.core.config.Connections;
import io.cachepipe.redis.RedisConnector;
import io.cachepipe.redis.RedisSession;
import io.cachepipe.sidecar.RedisAccess;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether Redis answers PING, and its keyspace hits and misses, both asked by {@link #refresh()} on
 * the admin port's interval and answered from there ({@link #ping()}), so that a readiness probe
 * never waits for Redis. One connection of its own, failing fast while Redis is down; to every
 * master of a Redis Cluster.
 */
final class RedisProbe implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RedisProbe.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(1);

  private final RedisConnector client;
  private RedisSession session;
  private volatile long keyspaceHits;
  private volatile long keyspaceMisses;
  private volatile Part pong = Part.notReady("not probed yet", "Redis not probed yet");

  RedisProbe(Connections connections) {
    this.client = RedisAccess.client(connections, TIMEOUT);
  }

  /**
   * {@code PONG} (from every master of a cluster), or why Redis did not answer, as of the last
   * {@link #refresh()}.
   */
  Part ping() {
    return pong;
  }

  /**
   * Pings Redis, then reads the keyspace hits and misses from {@code INFO stats} (summed over a
   * cluster's masters); keeps the last figures on failure.
   */
  void refresh() {
    try {
      List<String> replies = session().pingAll();
      boolean up = !replies.isEmpty() && replies.stream().allMatch("PONG"::equals);
      pong =
          up
              ? Part.ok("PONG")
              : Part.notReady(String.join(", ", replies), "Redis answers " + replies);
    } catch (RuntimeException e) {
      pong = Part.notReady("no answer: " + e.getMessage(), "Redis does not answer PING");
      return;
    }
    try {
      long hits = 0;
      long misses = 0;
      for (String info : session().infoAll("stats")) {
        for (String line : info.split("\r?\n")) {
          if (line.startsWith("keyspace_hits:")) {
            hits += Long.parseLong(line.substring("keyspace_hits:".length()).trim());
          } else if (line.startsWith("keyspace_misses:")) {
            misses += Long.parseLong(line.substring("keyspace_misses:".length()).trim());
          }
        }
      }
      keyspaceHits = hits;
      keyspaceMisses = misses;
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

  private synchronized RedisSession session() {
    if (session == null) {
      // Once connected, Lettuce reconnects by itself; until then, each call tries again.
      session = RedisAccess.connect(client);
    }
    return session;
  }

  @Override
  public synchronized void close() {
    if (session != null) {
      session.close();
    }
    client.close();
  }
}
