package io.cachepipe.sidecar.admin;

import io.cachepipe.core.config.ConfigField;
import io.cachepipe.core.config.Settings;
import java.time.Duration;
import java.util.List;

/**
 * The admin HTTP port's settings.
 *
 * @param host address it binds
 * @param port TCP port; 0 picks a free one, -1 turns the admin port off
 * @param probeInterval how often what a scrape must not query itself is refreshed
 */
public record AdminConfig(String host, int port, Duration probeInterval) {

  /** The port value that turns the admin port off. */
  public static final int OFF = -1;

  public static final ConfigField<String> HOST =
      ConfigField.string(
          "cachepipe.admin.host",
          "127.0.0.1",
          "Address the admin HTTP port binds; it has no authentication, so loopback unless a"
              + " firewall guards it (0.0.0.0 = every interface).");
  public static final ConfigField<Integer> PORT =
      ConfigField.integer(
          "cachepipe.admin.port",
          9400,
          OFF,
          65_535,
          "Admin HTTP port: /metrics (Prometheus), /health/live, /health/ready, the status page"
              + " at /; 0 picks a free port, -1 turns it off.");
  public static final ConfigField<Duration> PROBE_INTERVAL =
      ConfigField.millis(
          "cachepipe.admin.probe.interval.ms",
          2_000,
          100,
          "How often the admin port queries the replication slot's retained WAL, Redis' keyspace"
              + " hits and Kafka's brokers (never per scrape), and samples the status page's"
              + " charts.");

  public static final List<ConfigField<?>> FIELDS =
      List.of(HOST, PORT, PROBE_INTERVAL, DatabaseGauges.INTERVAL);

  /** The continuous audit's keys ({@code cachepipe.audit.*}); it runs beside the admin port. */
  public static final List<ConfigField<?>> AUDIT_FIELDS = ContinuousAudit.FIELDS;

  public static AdminConfig from(Settings settings) {
    return new AdminConfig(settings.get(HOST), settings.get(PORT), settings.get(PROBE_INTERVAL));
  }

  /** Whether the admin port is on. */
  public boolean enabled() {
    return port != OFF;
  }
}
