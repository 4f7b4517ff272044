package io.cachepipe.redis;

import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.RedisTls;
import io.cachepipe.core.config.Secrets;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLException;

/**
 * How every part of cachepipe reaches Redis: one Lettuce client of a Redis server or of a Redis
 * Cluster, built as cachepipe needs it, and {@link #connect()}.
 *
 * <ul>
 *   <li>Commands are rejected at once while the connection is down, not queued for a reconnect: a
 *       cache goes to its loader, an evictor retries its batch.
 *   <li>A {@code rediss://} server's certificate is checked against {@link RedisTls}' trust store.
 *   <li>A cluster client follows failovers and resharding at once (adaptive topology refresh) and
 *       connects to every master before the first command.
 *   <li>A failed connection attempt is one line: the server without its credentials, and Redis'
 *       reason ({@code WRONGPASS ...}, a TLS handshake and the key that fixes it).
 * </ul>
 *
 * Creating it does not connect: a part can start while Redis is down. Thread-safe.
 */
public final class RedisConnector implements AutoCloseable {

  private final AbstractRedisClient client;
  private final ClientResources resources;
  private final String address;

  private RedisConnector(AbstractRedisClient client, ClientResources resources, String address) {
    this.client = client;
    this.resources = resources;
    this.address = address;
  }

  /** Options to build a connector with; one of its targets must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /** Whether this connects to a Redis Cluster. */
  public boolean isCluster() {
    return client instanceof RedisClusterClient;
  }

  /** The server, or the cluster's seed nodes, with credentials masked: for messages. */
  public String address() {
    return address;
  }

  /**
   * Opens a connection: to the server, or to the cluster and every one of its masters (Lettuce
   * opens those on first use, and while one is still connecting the rejecting of commands would
   * fail the first commands routed to it).
   *
   * @throws RedisConnectionException naming the server and Redis' reason
   */
  public RedisSession connect() {
    try {
      if (client instanceof RedisClusterClient cluster) {
        StatefulRedisClusterConnection<String, String> c = cluster.connect();
        try {
          for (RedisClusterNode node : c.getPartitions()) {
            if (node.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
              // By address: the connection that commands routed by slot use.
              c.getConnection(node.getUri().getHost(), node.getUri().getPort());
            }
          }
        } catch (RedisException e) {
          c.close();
          throw e;
        }
        return new RedisSession(c, c.sync());
      }
      StatefulRedisConnection<String, String> c = ((RedisClient) client).connect();
      return new RedisSession(c, c.sync());
    } catch (RedisException e) {
      throw new RedisConnectionException(
          "cannot connect to Redis at " + address + ": " + reason(e), e);
    }
  }

  /** Redis' own reason for a failed connection attempt. */
  private static String reason(RedisException e) {
    Throwable cause = e;
    boolean tls = false;
    while (cause.getCause() != null) {
      cause = cause.getCause();
      tls |= cause instanceof SSLException;
    }
    return tls
        ? "TLS handshake failed ("
            + cause.getMessage()
            + "); if the server's certificate is not trusted, set "
            + RedisTls.TRUSTSTORE_PATH.name()
            + " to its CA certificate"
        : cause.getMessage();
  }

  /** Shuts the client down (and its own resources, if it has them); its connections close. */
  @Override
  public void close() {
    client.shutdown();
    if (resources != null) {
      resources.shutdown();
    }
  }

  /** What to connect to and how; a builder is not thread-safe, the connector it builds is. */
  public static final class Builder {

    private List<String> uris;
    private boolean cluster;
    private RedisTls tls = RedisTls.JVM_DEFAULT;
    private Duration timeout;
    private Duration maxReconnectDelay;

    private Builder() {}

    /** A Redis server ({@code redis://[user:password@]host:port}, {@code rediss://} for TLS). */
    public Builder redisUri(String uri) {
      this.uris = List.of(Objects.requireNonNull(uri, "uri"));
      this.cluster = false;
      return this;
    }

    /**
     * The Redis Cluster that {@code seedUris} belong to (the other nodes are discovered from them;
     * credentials in the first are used for every node).
     */
    public Builder cluster(List<String> seedUris) {
      List<String> seeds = List.copyOf(Objects.requireNonNull(seedUris, "seedUris"));
      if (seeds.isEmpty()) {
        throw new IllegalArgumentException("a Redis Cluster client needs at least one seed node");
      }
      this.uris = seeds;
      this.cluster = true;
      return this;
    }

    /** The Redis of {@code connections}, a server or a cluster as its mode says, and its TLS. */
    public Builder connections(Connections connections) {
      Objects.requireNonNull(connections, "connections");
      if (connections.redisCluster()) {
        cluster(connections.redisUris());
      } else {
        redisUri(connections.redisUri());
      }
      return tls(connections.redisTls());
    }

    /** What a {@code rediss://} connection trusts; the JVM's default CAs unless set. */
    public Builder tls(RedisTls tls) {
      this.tls = Objects.requireNonNull(tls, "tls");
      return this;
    }

    /**
     * How long a connection attempt and a command may take before they fail; unset, Lettuce's
     * defaults (commands wait for their connection's timeout, 60 s).
     */
    public Builder timeout(Duration timeout) {
      this.timeout = positive(timeout, "timeout");
      return this;
    }

    /**
     * Reconnects after a lost connection with a delay that doubles up to {@code max}, on client
     * resources of its own. Unset, Lettuce's schedule doubles up to 30 s: after an outage the
     * connection could come back up to 30 s after Redis, whatever its user's own backoff says.
     */
    public Builder maxReconnectDelay(Duration max) {
      this.maxReconnectDelay = positive(max, "maxReconnectDelay");
      return this;
    }

    /**
     * The connector; it does not connect yet.
     *
     * @throws IllegalArgumentException if no target was set or a URI is malformed (the message
     *     quotes it with its credentials masked)
     */
    public RedisConnector build() {
      if (uris == null) {
        throw new IllegalArgumentException("a Redis URI or a cluster's seed nodes are required");
      }
      List<RedisURI> parsed = new ArrayList<>(uris.size());
      for (String uri : uris) {
        parsed.add(parse(uri));
      }
      ClientResources resources =
          maxReconnectDelay == null ? null : LettuceClients.reconnecting(maxReconnectDelay);
      try {
        AbstractRedisClient client =
            LettuceClients.create(parsed, cluster, timeout, tls, resources);
        String address = String.join(",", uris.stream().map(Secrets::maskCredentials).toList());
        return new RedisConnector(client, resources, address);
      } catch (RuntimeException e) {
        if (resources != null) {
          resources.shutdown();
        }
        throw e;
      }
    }

    private RedisURI parse(String uri) {
      RedisURI parsed;
      try {
        parsed = RedisURI.create(uri);
      } catch (IllegalArgumentException e) {
        // Not Lettuce's message: it may quote the URI, password and all.
        throw new IllegalArgumentException(
            "expected a URI such as redis://host:6379, got '" + Secrets.maskCredentials(uri) + "'");
      }
      if (timeout != null) {
        parsed.setTimeout(timeout);
      }
      return parsed;
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, got " + d);
      }
      return d;
    }
  }
}
