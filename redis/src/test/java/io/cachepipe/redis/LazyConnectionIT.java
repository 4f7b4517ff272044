package io.cachepipe.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisConnectionException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LazyConnectionIT {

  @Test
  void itConnectsOnFirstUseAndKeepsItsConnection() {
    try (LazyConnection lazy =
        new LazyConnection(RedisConnector.builder().redisUri(TestServers.redis().uri()).build())) {
      RedisSession first = lazy.session();

      assertThat(first.commands().ping()).isEqualTo("PONG");
      assertThat(lazy.session()).isSameAs(first);
    }
  }

  @Test
  void afterAFailedAttemptCallsFailAtOnceUntilTheNextAttemptIsDue() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    try (LazyConnection lazy =
        new LazyConnection(
            RedisConnector.builder()
                .redisUri("redis://127.0.0.1:" + closedPort)
                .timeout(Duration.ofSeconds(1))
                .build())) {
      assertThatThrownBy(lazy::session)
          .isInstanceOf(RedisConnectionException.class)
          .hasMessageStartingWith("cannot connect to Redis at redis://127.0.0.1:" + closedPort);

      long start = System.nanoTime();
      assertThatThrownBy(lazy::session)
          .isInstanceOf(RedisConnectionException.class)
          .hasMessageContaining("next connection attempt soon");
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isLessThan(LazyConnection.RETRY_AFTER);
    }
  }
}
