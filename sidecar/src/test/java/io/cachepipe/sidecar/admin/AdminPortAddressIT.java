package io.cachepipe.sidecar.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.core.config.Settings;
import io.cachepipe.sidecar.Pipeline;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.TestServers;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * By default the admin port binds the loopback address only, so it does not answer on the machine's
 * other addresses; {@code cachepipe.admin.host} opens it to them (off loopback it requires a token,
 * and the probes' status codes need none). (A pipeline of no stages: the address is all that is
 * tested here.)
 */
class AdminPortAddressIT {

  private static Settings settings;
  private static Pipeline pipeline;
  private static InetAddress external;

  @BeforeAll
  static void startPipelineOfNoStages() throws Exception {
    external = nonLoopbackAddress();
    settings =
        PipelineTestSettings.of(TestServers.postgres().createDatabase("admin_address_it"), "admin")
            .with(AdminConfig.PORT.name(), "0");
    pipeline = Pipeline.start(settings, Set.of(), e -> {});
  }

  @AfterAll
  static void stop() {
    if (pipeline != null) {
      pipeline.close();
    }
  }

  @Test
  void answersOnLoopbackOnlyByDefault() throws Exception {
    try (AdminPort admin = AdminPort.start(settings, pipeline, Map.of())) {
      assertThat(admin.url().getHost()).isEqualTo("127.0.0.1");
      assertThat(live(admin.url())).as("GET %s", admin.url()).isEqualTo(200);
      assertThat(reachable(external, admin.url().getPort()))
          .as("the admin port on %s", external)
          .isFalse();
    }
  }

  @Test
  void answersOnEveryAddressWhenItsHostSaysSo() throws Exception {
    Settings everywhere =
        settings
            .with(AdminConfig.HOST.name(), "0.0.0.0")
            .with(AdminConfig.TOKEN.name(), "address-it-token");
    try (AdminPort admin = AdminPort.start(everywhere, pipeline, Map.of())) {
      URI onExternal =
          URI.create("http://" + external.getHostAddress() + ":" + admin.url().getPort() + "/");
      assertThat(live(onExternal)).as("GET %s", onExternal).isEqualTo(200);
    }
  }

  private static int live(URI admin) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(admin.resolve("/health/live"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  /** An IPv4 address of this machine that is not loopback; the tests are skipped if none. */
  private static InetAddress nonLoopbackAddress() throws Exception {
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (nic.isUp() && !nic.isLoopback()) {
        for (InetAddress address : Collections.list(nic.getInetAddresses())) {
          if (address instanceof Inet4Address) {
            return address;
          }
        }
      }
    }
    Assumptions.abort("this machine has no address but loopback");
    return null;
  }

  private static boolean reachable(InetAddress address, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(address, port), 2_000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
