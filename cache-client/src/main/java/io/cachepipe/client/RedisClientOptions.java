package io.cachepipe.client;

import io.cachepipe.core.config.RedisTls;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TimeoutOptions;
import java.time.Duration;

/** Lettuce client options as cachepipe's Redis clients use them. */
public final class RedisClientOptions {

  private RedisClientOptions() {}

  /**
   * {@code options} for a client that fails fast, trusting what {@code tls} names: while Redis is
   * unreachable commands are rejected at once (not queued for a reconnect), and connection attempts
   * and commands give up after {@code timeout}.
   */
  public static <B extends ClientOptions.Builder> B failFast(
      B options, Duration timeout, RedisTls tls) {
    options
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .socketOptions(SocketOptions.builder().connectTimeout(timeout).build())
        .timeoutOptions(TimeoutOptions.enabled(timeout));
    return apply(options, tls);
  }

  /**
   * {@code options} trusting what {@code tls} names for a {@code rediss://} server: its certificate
   * is checked against that trust store, else the JVM's default one (Lettuce's default); unchanged
   * for the JVM's default.
   */
  public static <B extends ClientOptions.Builder> B apply(B options, RedisTls tls) {
    tls.trustManagers()
        .ifPresent(
            trust ->
                options.sslOptions(
                    SslOptions.builder().jdkSslProvider().trustManager(trust).build()));
    return options;
  }
}
