package io.cachepipe.client;

import io.cachepipe.core.config.RedisTls;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Redis Cluster clients as cachepipe uses them: failing fast like its standalone clients (commands
 * are rejected while a node is unreachable, connection attempts and commands give up after a
 * timeout), following the topology on redirections and reconnects, and connected to every master
 * before the first command.
 */
public final class ClusterConnections {

  private ClusterConnections() {}

  /**
   * A client of the cluster that {@code seedUris} belong to ({@code redis://host:port}, credentials
   * in the first are used for every node); it discovers the other nodes from them. A {@code
   * rediss://} seed's certificate is checked against {@code tls}.
   */
  public static RedisClusterClient client(List<String> seedUris, RedisTls tls, Duration timeout) {
    List<RedisURI> seeds = new ArrayList<>();
    for (String seed : seedUris) {
      RedisURI uri = RedisURI.create(Objects.requireNonNull(seed, "seed URI"));
      uri.setTimeout(timeout);
      seeds.add(uri);
    }
    if (seeds.isEmpty()) {
      throw new IllegalArgumentException("a Redis Cluster client needs at least one seed node");
    }
    RedisClusterClient client = RedisClusterClient.create(seeds);
    client.setOptions(
        RedisClientOptions.failFast(
                ClusterClientOptions.builder()
                    // A failover or resharding is followed at once, not at a periodic refresh.
                    .topologyRefreshOptions(
                        ClusterTopologyRefreshOptions.builder()
                            .enableAllAdaptiveRefreshTriggers()
                            .build()),
                timeout,
                tls)
            .build());
    return client;
  }

  /**
   * Connects {@code client} and opens its connection to every master now. Lettuce opens them on
   * first use, and while one is still connecting the fail-fast option rejects the commands routed
   * to it: the first commands to every node would fail.
   *
   * @throws RedisException if the cluster or one of its masters cannot be reached
   */
  public static StatefulRedisClusterConnection<String, String> connect(RedisClusterClient client) {
    StatefulRedisClusterConnection<String, String> cluster = client.connect();
    try {
      for (RedisClusterNode node : cluster.getPartitions()) {
        if (node.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
          // By address: the connection that commands routed by slot use.
          cluster.getConnection(node.getUri().getHost(), node.getUri().getPort());
        }
      }
      return cluster;
    } catch (RedisException e) {
      cluster.close();
      throw e;
    }
  }
}
