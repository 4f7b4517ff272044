package io.cachepipe.sidecar.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.cachepipe.core.config.ConfigException;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.sidecar.admin.AdminHttp.Response;
import io.cachepipe.testing.RawHttp;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The admin port holds where a user deploys it: clients that open a connection and stall do not
 * freeze the health probes, a web page that resolves its own name to 127.0.0.1 (DNS rebinding)
 * reads nothing, a token guards it off loopback, and readiness answers from what the probes last
 * saw instead of waiting for a server.
 */
class AdminPortAccessIT {

  private static final String TOKEN = "S3cr3t-admin-TOKEN";

  private static Map<String, Supplier<Response>> routes(boolean ready) {
    return Map.of(
        "/health/live",
        () -> Response.json(200, Map.of("live", true)),
        "/health/ready",
        () -> Response.json(ready ? 200 : 503, Map.of("ready", ready, "parts", Map.of("x", "y"))),
        "/metrics",
        () -> Response.text(200, "text/plain", "cachepipe_up 1\n"));
  }

  @Test
  void healthAnswersWithinASecondWhileFiftyConnectionsStall() throws Exception {
    List<Socket> stalled = new ArrayList<>();
    try (AdminHttp http =
        new AdminHttp("127.0.0.1", 0, new AdminAccess("", true, List.of()), routes(true))) {
      for (int i = 0; i < 50; i++) {
        Socket socket = new Socket("127.0.0.1", http.port());
        socket.getOutputStream().write('G'); // one byte of a request, then nothing
        socket.getOutputStream().flush();
        stalled.add(socket);
      }

      long start = System.nanoTime();
      String live = get(http.port(), "/health/live", "127.0.0.1", null);
      long millis = (System.nanoTime() - start) / 1_000_000;

      assertThat(live).startsWith("HTTP/1.1 200");
      assertThat(millis).as("ms to answer /health/live").isLessThan(1_000);
      await("the server closes requests not sent within its timeout")
          .atMost(Duration.ofSeconds(AdminHttp.REQUEST_TIMEOUT_SECONDS + 5))
          .until(() -> stalled.stream().allMatch(AdminPortAccessIT::closedByPeer));
    } finally {
      for (Socket socket : stalled) {
        socket.close();
      }
    }
  }

  @Test
  void aHostHeaderNamingAnotherSiteIsRefusedOnLoopback() throws Exception {
    try (AdminHttp http =
        new AdminHttp(
            "127.0.0.1", 0, new AdminAccess("", true, List.of("cachepipe.local")), routes(true))) {
      assertThat(get(http.port(), "/metrics", "rebind.attacker.example:9400", null))
          .startsWith("HTTP/1.1 403");
      assertThat(get(http.port(), "/health/live", "rebind.attacker.example", null))
          .startsWith("HTTP/1.1 403");
      assertThat(get(http.port(), "/metrics", "localhost:9400", null)).startsWith("HTTP/1.1 200");
      assertThat(get(http.port(), "/metrics", "127.0.0.1:1234", null)).startsWith("HTTP/1.1 200");
      assertThat(get(http.port(), "/metrics", "[::1]:9400", null)).startsWith("HTTP/1.1 200");
      assertThat(get(http.port(), "/metrics", "cachepipe.local", null)).startsWith("HTTP/1.1 200");
    }
  }

  @Test
  void withATokenOnlyTheProbesStatusCodesAndThePageFilesAnswerWithoutIt() throws Exception {
    try (AdminHttp http =
        new AdminHttp("127.0.0.1", 0, new AdminAccess(TOKEN, false, List.of()), routes(false))) {
      int port = http.port();

      assertThat(get(port, "/metrics", "cachepipe:9400", null))
          .startsWith("HTTP/1.1 401")
          .containsIgnoringCase("WWW-Authenticate: Bearer");
      assertThat(get(port, "/metrics", "cachepipe:9400", "Bearer wrong"))
          .startsWith("HTTP/1.1 401");
      assertThat(get(port, "/metrics", "10.1.2.3:9400", "Bearer " + TOKEN))
          .startsWith("HTTP/1.1 200")
          .contains("cachepipe_up 1");
      String ready = get(port, "/health/ready", "10.1.2.3:9400", null);
      assertThat(ready).startsWith("HTTP/1.1 503").endsWith("{\"ready\":false}");
      assertThat(get(port, "/health/ready", "10.1.2.3:9400", "Bearer " + TOKEN))
          .startsWith("HTTP/1.1 503")
          .contains("\"parts\"");
      assertThat(get(port, "/health/live", "10.1.2.3:9400", null)).startsWith("HTTP/1.1 200");
      assertThat(get(port, "/", "10.1.2.3:9400", null)).startsWith("HTTP/1.1 200");
      assertThat(get(port, "/status.json", "10.1.2.3:9400", null)).startsWith("HTTP/1.1 401");
    }
  }

  @Test
  void offLoopbackItRefusesToStartWithoutATokenUnlessToldExplicitly() {
    Settings open = Settings.of(Map.of(AdminConfig.HOST.name(), "0.0.0.0"));

    assertThatThrownBy(() -> AdminConfig.from(open))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("cachepipe.admin.host=0.0.0.0 is off loopback")
        .hasMessageContaining("cachepipe.admin.token");
    assertThat(AdminConfig.from(open.with(AdminConfig.TOKEN.name(), TOKEN)).token())
        .isEqualTo(TOKEN);
    assertThat(
            AdminConfig.from(open.with(AdminConfig.ALLOW_UNAUTHENTICATED.name(), "true")).token())
        .isEmpty();
    assertThat(AdminConfig.from(open.with(AdminConfig.PORT.name(), "-1")).enabled()).isFalse();
    assertThat(AdminConfig.from(Settings.empty()).loopback()).isTrue();
  }

  @Test
  void readinessAnswersFromTheLastProbeNotFromARoundTripToRedis() throws Exception {
    // A "Redis" that accepts connections and never answers.
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        RedisProbe probe =
            new RedisProbe(
                Connections.from(
                    Settings.of(
                        Map.of(
                            Connections.REDIS_URI.name(),
                            "redis://127.0.0.1:" + silent.getLocalPort()))))) {
      long start = System.nanoTime();
      Part before = probe.ping();
      long beforeMillis = (System.nanoTime() - start) / 1_000_000;
      probe.refresh();
      start = System.nanoTime();
      Part after = probe.ping();
      long afterMillis = (System.nanoTime() - start) / 1_000_000;

      assertThat(before.ready()).isFalse();
      assertThat(beforeMillis).isLessThan(50);
      assertThat(after.ready()).isFalse();
      assertThat(after.state()).startsWith("no answer");
      assertThat(afterMillis).isLessThan(50);
    }
  }

  /** One request on a connection of its own, the whole answer as text. */
  private static String get(int port, String path, String host, String authorization)
      throws IOException {
    return RawHttp.get(port, path, host, authorization);
  }

  private static boolean closedByPeer(Socket socket) {
    try {
      socket.setSoTimeout(50);
      InputStream in = socket.getInputStream();
      return in.read() < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }
}
