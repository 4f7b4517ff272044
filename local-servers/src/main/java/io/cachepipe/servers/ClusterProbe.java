package io.cachepipe.servers;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

/**
 * Whether a starting {@link LocalKafka} broker serves: an Admin client can describe its cluster.
 */
final class ClusterProbe {

  private static final int PROBE_MILLIS = 2_000;

  private ClusterProbe() {}

  static boolean describesCluster(String host, int port, String bootstrapServers) throws Exception {
    // A refused connection costs nothing; an Admin client would retry it with warnings.
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), PROBE_MILLIS);
    }
    Map<String, Object> config =
        Map.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers,
            AdminClientConfig.CLIENT_ID_CONFIG,
            "cachepipe-local-kafka-probe",
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
            PROBE_MILLIS,
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
            PROBE_MILLIS);
    try (Admin admin = Admin.create(config)) {
      return !admin
          .describeCluster(new DescribeClusterOptions().timeoutMs(PROBE_MILLIS))
          .nodes()
          .get(PROBE_MILLIS, TimeUnit.MILLISECONDS)
          .isEmpty();
    }
  }
}
