package io.cachepipe.sidecar.admin;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** How many Kafka brokers answer, asked on the admin port's interval for the status page. */
final class KafkaProbe implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaProbe.class);

  private final Admin admin;
  private volatile String state = "not probed yet";

  /**
   * @param kafkaClient what every Kafka client gets ({@link
   *     io.cachepipe.core.kafka.KafkaClients#shared}): the bootstrap servers and the security
   *     settings, so that a secured Kafka is probed as the stages reach it
   */
  KafkaProbe(Map<String, Object> kafkaClient) {
    Map<String, Object> config = new HashMap<>(kafkaClient);
    config.put(AdminClientConfig.CLIENT_ID_CONFIG, "cachepipe-admin-probe");
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000);
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2_000);
    this.admin = Admin.create(config);
  }

  void refresh() {
    try {
      int brokers = admin.describeCluster().nodes().get(2, TimeUnit.SECONDS).size();
      state = brokers + (brokers == 1 ? " broker" : " brokers");
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      LOG.debug("describing the Kafka cluster: {}", e.getMessage());
      state = "unreachable";
    }
  }

  /** {@code N brokers} or {@code unreachable}. */
  String state() {
    return state;
  }

  @Override
  public void close() {
    admin.close(Duration.ofSeconds(2));
  }
}
