package io.cachepipe.redis;

import io.cachepipe.core.config.RedisTls;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Lettuce clients with the options {@link RedisConnector} promises. */
final class LettuceClients {

  private LettuceClients() {}

  /**
   * A client of the server {@code uris.get(0)}, or of the cluster {@code uris} belong to.
   *
   * @param timeout for connection attempts and commands; null for Lettuce's defaults
   * @param resources the client's own resources; null for Lettuce's
   */
  static AbstractRedisClient create(
      List<RedisURI> uris,
      boolean cluster,
      Duration timeout,
      RedisTls tls,
      ClientResources resources) {
    // Options first: reading the trust store may fail, and then no client is left to shut down.
    if (cluster) {
      ClusterClientOptions options =
          options(
                  ClusterClientOptions.builder()
                      // A failover or resharding is followed at once, not at a periodic refresh.
                      .topologyRefreshOptions(
                          ClusterTopologyRefreshOptions.builder()
                              .enableAllAdaptiveRefreshTriggers()
                              .build()),
                  timeout,
                  tls)
              .build();
      RedisClusterClient c =
          resources == null
              ? RedisClusterClient.create(uris)
              : RedisClusterClient.create(resources, uris);
      c.setOptions(options);
      return c;
    }
    ClientOptions options = options(ClientOptions.builder(), timeout, tls).build();
    RedisClient c =
        resources == null
            ? RedisClient.create(uris.get(0))
            : RedisClient.create(resources, uris.get(0));
    c.setOptions(options);
    return c;
  }

  /** Client resources whose reconnect delay doubles from 50 ms up to {@code max}. */
  static ClientResources reconnecting(Duration max) {
    return ClientResources.builder()
        .reconnectDelay(
            Delay.exponential(
                Duration.ofMillis(Math.min(50, max.toMillis())), max, 2, TimeUnit.MILLISECONDS))
        .build();
  }

  private static <B extends ClientOptions.Builder> B options(
      B options, Duration timeout, RedisTls tls) {
    options.disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS);
    if (timeout != null) {
      options
          .socketOptions(SocketOptions.builder().connectTimeout(timeout).build())
          .timeoutOptions(TimeoutOptions.enabled(timeout));
    }
    tls.trustManagers()
        .ifPresent(
            trust ->
                options.sslOptions(
                    SslOptions.builder().jdkSslProvider().trustManager(trust).build()));
    return options;
  }
}
