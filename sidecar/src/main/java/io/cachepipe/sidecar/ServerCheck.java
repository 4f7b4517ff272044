package io.cachepipe.sidecar;

import io.cachepipe.core.config.ConfigException;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Secrets;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.common.utils.Utils;

/**
 * What {@code run} checks before it starts a stage: that PostgreSQL accepts the configured user and
 * that something listens at Kafka's bootstrap addresses (Redis: {@link RedisAccess#check}). A
 * server that is not there stops {@code run} within {@link #TIMEOUT} in one line naming it and its
 * address, credentials masked, instead of a stage that retries, logs a warning a second, or fails
 * later with a library's stack trace.
 */
final class ServerCheck {

  /** How long a server has to answer. */
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  private ServerCheck() {}

  /** Checks the servers that {@code stages} use. */
  static void run(Connections connections, Set<Stage> stages) {
    if (stages.contains(Stage.CDC) || stages.contains(Stage.WARMER)) {
      postgres(connections);
    }
    kafka(connections.kafkaBootstrap());
    if (stages.contains(Stage.INVALIDATOR) || stages.contains(Stage.WARMER)) {
      RedisAccess.check(connections);
    }
  }

  /** Logs in to PostgreSQL with the configured credentials. */
  static void postgres(Connections connections) {
    Properties properties = new Properties();
    properties.setProperty("user", connections.postgresUser());
    properties.setProperty("password", connections.postgresPassword());
    String seconds = Long.toString(TIMEOUT.toSeconds());
    properties.setProperty("connectTimeout", seconds);
    properties.setProperty("loginTimeout", seconds);
    try (Connection c = DriverManager.getConnection(connections.postgresUrl(), properties)) {
      // Logged in: enough.
    } catch (SQLException e) {
      throw new ServerUnreachableException(
          "cannot connect to PostgreSQL at "
              + Secrets.maskCredentials(connections.postgresUrl())
              + " as "
              + connections.postgresUser()
              + ": "
              + e.getMessage());
    }
  }

  /**
   * Opens a TCP connection to each bootstrap address until one accepts: Kafka's clients would
   * otherwise retry for their whole API timeout, logging a warning each time. The protocol (TLS,
   * SASL) is left to the clients.
   */
  static void kafka(String bootstrapServers) {
    List<String> failures = new ArrayList<>();
    for (String address : bootstrapServers.split(",")) {
      String server = address.strip();
      String host = Utils.getHost(server);
      Integer port = Utils.getPort(server);
      if (host == null || port == null) {
        throw new ConfigException(
            Connections.KAFKA_BOOTSTRAP.name()
                + ": expected host:port[,host:port...], got '"
                + bootstrapServers
                + "'");
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(host, port), (int) TIMEOUT.toMillis());
        return;
      } catch (UnknownHostException e) {
        failures.add(server + " (unknown host)");
      } catch (IOException e) {
        failures.add(server + " (" + e.getMessage() + ")");
      }
    }
    throw new ServerUnreachableException(
        "cannot connect to Kafka at " + bootstrapServers + ": " + String.join(", ", failures));
  }

  /** A server is not there, or refused the credentials. */
  static final class ServerUnreachableException extends RuntimeException {
    ServerUnreachableException(String message) {
      super(message);
    }
  }
}
