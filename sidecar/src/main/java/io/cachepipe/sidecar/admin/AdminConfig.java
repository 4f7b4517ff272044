package io.cachepipe.sidecar.admin;

import io.cachepipe.cdc.CdcConfig;
import io.cachepipe.core.config.ConfigException;
import io.cachepipe.core.config.ConfigField;
import io.cachepipe.core.config.SecretFile;
import io.cachepipe.core.config.Settings;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;

/**
 * The admin HTTP port's settings.
 *
 * @param host address it binds
 * @param port TCP port; 0 picks a free one, -1 turns the admin port off
 * @param probeInterval how often what a scrape must not query itself is refreshed
 * @param token the bearer token requests must carry, or empty for none
 * @param allowedHosts Host header names answered besides loopback's
 */
public record AdminConfig(
    String host, int port, Duration probeInterval, String token, List<String> allowedHosts) {

  /** The port value that turns the admin port off. */
  public static final int OFF = -1;

  public static final ConfigField<String> HOST =
      ConfigField.string(
          "cachepipe.admin.host",
          "127.0.0.1",
          "Address the admin HTTP port binds (0.0.0.0 = every interface, as a container needs);"
              + " off loopback it requires cachepipe.admin.token.");
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
          "How often the admin port asks Redis (PING, keyspace hits), Kafka (its brokers) and the"
              + " replication slot (retained WAL), and samples the status page's charts; readiness"
              + " and scrapes answer from the last answers, never with a round trip of their own.");
  public static final ConfigField<String> TOKEN =
      ConfigField.secret(
          "cachepipe.admin.token",
          "",
          "Bearer token every request must carry (Authorization: Bearer TOKEN) but the status"
              + " codes of /health/live and /health/ready and the status page's static files;"
              + " empty = none. Prefer CACHEPIPE_ADMIN_TOKEN or cachepipe.admin.token.file.");
  public static final ConfigField<String> TOKEN_FILE =
      ConfigField.string(
          "cachepipe.admin.token.file",
          "",
          "A file holding the admin token (a mounted Kubernetes or Compose secret), read when"
              + " cachepipe.admin.token is empty.");
  public static final ConfigField<Boolean> ALLOW_UNAUTHENTICATED =
      ConfigField.bool(
          "cachepipe.admin.allow.unauthenticated",
          false,
          "true lets the admin port bind off loopback without a token: only where a firewall or"
              + " a network policy keeps everyone else away.");
  public static final ConfigField<List<String>> ALLOWED_HOSTS =
      ConfigField.list(
          "cachepipe.admin.allowed.hosts",
          "",
          "Host header names answered besides 127.0.0.1, localhost and [::1] (against DNS"
              + " rebinding, a web page reading the port through a name of its own); empty and"
              + " off loopback = any name (the token guards the port).");

  public static final ConfigField<Duration> STALL =
      ConfigField.millis(
          "cachepipe.admin.stall.ms",
          30_000,
          1_000,
          "A streaming capture engine that hands over no record (not even a heartbeat) for this"
              + " long is reported stalled: /health/ready turns 503 naming cdc. Keep it above"
              + " cachepipe.cdc.heartbeat.interval.ms; with heartbeats off only an inactive slot"
              + " counts.");

  public static final List<ConfigField<?>> FIELDS =
      List.of(
          HOST,
          PORT,
          STALL,
          PROBE_INTERVAL,
          TOKEN,
          TOKEN_FILE,
          ALLOW_UNAUTHENTICATED,
          ALLOWED_HOSTS,
          DatabaseGauges.INTERVAL);

  /** The continuous audit's keys ({@code cachepipe.audit.*}); it runs beside the admin port. */
  public static final List<ConfigField<?>> AUDIT_FIELDS = ContinuousAudit.FIELDS;

  /**
   * A stall limit at or below the heartbeat interval would report an idle, healthy capture as
   * stalled between two heartbeats.
   */
  private static void checkStall(Settings settings) {
    Duration stall = settings.get(STALL);
    Duration heartbeat = settings.get(CdcConfig.HEARTBEAT_INTERVAL);
    if (!heartbeat.isZero() && stall.compareTo(heartbeat) <= 0) {
      throw ConfigException.badValue(
          STALL.name(),
          "more milliseconds than "
              + CdcConfig.HEARTBEAT_INTERVAL.name()
              + " ("
              + heartbeat.toMillis()
              + ")",
          Long.toString(stall.toMillis()));
    }
  }

  /**
   * The admin port's settings.
   *
   * @throws ConfigException if the port is on, off loopback, without a token, and unauthenticated
   *     access was not allowed explicitly
   */
  public static AdminConfig from(Settings settings) {
    AdminConfig config =
        new AdminConfig(
            settings.get(HOST),
            settings.get(PORT),
            settings.get(PROBE_INTERVAL),
            SecretFile.valueOrFile(settings, TOKEN, TOKEN_FILE),
            settings.get(ALLOWED_HOSTS));
    checkStall(settings);
    if (config.enabled()
        && !config.loopback()
        && config.token().isEmpty()
        && !settings.get(ALLOW_UNAUTHENTICATED)) {
      throw new ConfigException(
          HOST.name()
              + "="
              + config.host()
              + " is off loopback, where anyone who reaches the port would read it: set "
              + TOKEN.name()
              + " (or "
              + TOKEN_FILE.name()
              + "), or "
              + ALLOW_UNAUTHENTICATED.name()
              + "=true if a firewall guards it");
    }
    return config;
  }

  /** Whether the admin port is on. */
  public boolean enabled() {
    return port != OFF;
  }

  /** Whether it binds a loopback address only. */
  public boolean loopback() {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
