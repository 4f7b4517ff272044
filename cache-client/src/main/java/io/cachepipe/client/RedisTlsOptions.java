package io.cachepipe.client;

import io.cachepipe.core.config.RedisTls;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.SslOptions;

/**
 * Lettuce's TLS options for a {@code rediss://} URI: the server's certificate is checked against
 * the trust store of {@link RedisTls}, else the JVM's default one (Lettuce's default).
 */
public final class RedisTlsOptions {

  private RedisTlsOptions() {}

  /** {@code options} trusting what {@code tls} names; unchanged for the JVM's default. */
  public static <B extends ClientOptions.Builder> B apply(B options, RedisTls tls) {
    tls.trustManagers()
        .ifPresent(
            trust ->
                options.sslOptions(
                    SslOptions.builder().jdkSslProvider().trustManager(trust).build()));
    return options;
  }
}
