package io.cachepipe.testing;

import io.cachepipe.servers.LocalRedisCluster;
import java.util.List;

/**
 * A Redis Cluster of three masters, each a {@link RedisFixture} of its own (for looking at one
 * node's keys, or flushing them), shared by the tests of one JVM ({@link
 * TestServers#redisCluster()}).
 */
public final class RedisClusterFixture implements AutoCloseable {

  private final List<RedisFixture> masters;
  private final AutoCloseable cluster;

  RedisClusterFixture(List<RedisFixture> masters, AutoCloseable cluster) {
    this.masters = List.copyOf(masters);
    this.cluster = cluster;
  }

  static RedisClusterFixture local() {
    LocalRedisCluster cluster = LocalRedisCluster.start();
    List<RedisFixture> masters =
        cluster.masters().stream()
            .map(m -> new RedisFixture(m.host(), m.port(), null, () -> {}))
            .toList();
    return new RedisClusterFixture(masters, cluster);
  }

  /** The masters, in slot order (the first serves slots 0-5460). */
  public List<RedisFixture> masters() {
    return masters;
  }

  /**
   * The masters' URIs, comma-separated: the seed nodes as {@code cachepipe.redis.uri} takes them in
   * cluster mode.
   */
  public String uri() {
    return String.join(",", uris());
  }

  /** The masters' URIs. */
  public List<String> uris() {
    return masters.stream().map(RedisFixture::uri).toList();
  }

  /** Deletes every key on every master. */
  public void flushAll() {
    masters.forEach(RedisFixture::flushAll);
  }

  /** Stops the masters. {@link TestServers} does this when the JVM exits. */
  @Override
  public void close() throws Exception {
    cluster.close();
  }

  @Override
  public String toString() {
    return "RedisClusterFixture" + uris();
  }
}
