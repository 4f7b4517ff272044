package io.cachepipe.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.testing.RedisClusterFixture;
import io.cachepipe.testing.RedisFixture;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisConnectionException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How every part connects to Redis: a server, a cluster, and why it could not. */
class RedisConnectorIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  @Test
  void aServerIsReachedAsConnectionsSay() {
    RedisFixture server = TestServers.redis();
    Connections connections =
        Connections.from(Settings.of(Map.of(Connections.REDIS_URI.name(), server.uri())));
    try (RedisConnector connector =
            RedisConnector.builder().connections(connections).timeout(TIMEOUT).build();
        RedisSession session = connector.connect()) {
      assertThat(connector.isCluster()).isFalse();
      assertThat(session.isCluster()).isFalse();
      assertThat(session.pingAll()).containsExactly("PONG");
      assertThat(session.commands().set("cp:connector", "1")).isEqualTo("OK");
    }
  }

  @Test
  void aClusterIsReachedOnEveryMasterBeforeTheFirstCommand() {
    RedisClusterFixture cluster = TestServers.redisCluster();
    try (RedisConnector connector =
            RedisConnector.builder().cluster(cluster.uris()).timeout(TIMEOUT).build();
        RedisSession session = connector.connect()) {
      assertThat(connector.isCluster()).isTrue();
      assertThat(session.isCluster()).isTrue();
      assertThat(session.pingAll()).hasSize(cluster.masters().size()).containsOnly("PONG");
      assertThat(session.infoAll("stats")).allSatisfy(s -> assertThat(s).contains("keyspace"));
    }
  }

  @Test
  void aRefusedConnectionIsOneLineNamingTheServerWithoutItsPassword() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    String uri = "redis://ada:S3cret-pw@127.0.0.1:" + closedPort;
    try (RedisConnector connector =
        RedisConnector.builder().redisUri(uri).timeout(TIMEOUT).build()) {
      assertThatThrownBy(connector::connect)
          .isInstanceOf(RedisConnectionException.class)
          .hasMessageStartingWith("cannot connect to Redis at redis://ada:********@127.0.0.1:")
          .hasMessageContaining("refused")
          .message()
          .doesNotContain("S3cret-pw")
          .doesNotContain("\n");
      assertThat(connector.address()).doesNotContain("S3cret-pw");
    }
  }

  @Test
  void aWrongPasswordIsRedisOwnReason() throws Exception {
    try (RedisFixture guarded = TestServers.redisRequiringPassword("right-one");
        RedisConnector connector =
            RedisConnector.builder()
                .redisUri("redis://wrong-one@" + guarded.host() + ":" + guarded.port())
                .timeout(TIMEOUT)
                .build()) {
      assertThatThrownBy(connector::connect)
          .isInstanceOf(RedisConnectionException.class)
          .hasMessageContaining("WRONGPASS")
          .message()
          .doesNotContain("wrong-one");
    }
  }

  @Test
  void aMalformedUriIsRejectedWithoutQuotingItsPassword() {
    assertThatThrownBy(() -> RedisConnector.builder().redisUri("redis://:S3cret@[bad").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected a URI such as redis://host:6379")
        .message()
        .doesNotContain("S3cret");
  }

  @Test
  void argumentsAreCheckedWhereTheyAreGiven() {
    RedisConnector.Builder builder = RedisConnector.builder();
    assertThatThrownBy(() -> builder.timeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("timeout must be positive");
    assertThatThrownBy(() -> builder.maxReconnectDelay(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.cluster(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one seed");
    assertThatThrownBy(() -> builder.tls(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("required");
  }
}
