package io.cachepipe.cdc;

import io.cachepipe.core.config.ConfigException;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Secrets;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Host, port, database and parameters of a single-host PostgreSQL JDBC URL, which Debezium wants as
 * separate properties.
 */
record PostgresLocation(String host, int port, String database, Map<String, String> parameters) {

  static PostgresLocation parse(String jdbcUrl) {
    String shown = Secrets.maskCredentials(jdbcUrl);
    String key = Connections.POSTGRES_URL.name();
    String prefix = "jdbc:postgresql://";
    if (jdbcUrl == null || !jdbcUrl.startsWith(prefix)) {
      throw new ConfigException(
          key + ": expected a URL like jdbc:postgresql://host:5432/database, got '" + shown + "'");
    }
    URI uri;
    try {
      uri = new URI("postgresql://" + jdbcUrl.substring(prefix.length()));
    } catch (URISyntaxException e) {
      // Not the exception's message: it quotes the URL.
      throw new ConfigException(key + ": not a valid URL: '" + shown + "'");
    }
    if (uri.getHost() == null || uri.getAuthority().contains(",")) {
      throw new ConfigException(
          key
              + ": expected one host (the primary; logical replication reads from it), got '"
              + shown
              + "'");
    }
    String path = uri.getPath() == null ? "" : uri.getPath();
    String database = path.startsWith("/") ? path.substring(1) : path;
    if (database.isEmpty()) {
      throw new ConfigException(key + ": the URL names no database: '" + shown + "'");
    }
    Map<String, String> parameters = new LinkedHashMap<>();
    if (uri.getRawQuery() != null) {
      for (String pair : uri.getRawQuery().split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          parameters.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
      }
    }
    return new PostgresLocation(
        uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort(), database, Map.copyOf(parameters));
  }
}
