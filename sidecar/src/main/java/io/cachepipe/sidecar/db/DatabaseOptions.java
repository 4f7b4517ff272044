package io.cachepipe.sidecar.db;

import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.json.Json;
import io.cachepipe.pgtools.ToolException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options every {@code db} command shares: which database, and text or JSON. */
final class DatabaseOptions {

  @Option(
      names = "--pg-url",
      paramLabel = "JDBC-URL",
      description = "The database; default: cachepipe.postgres.url of --config or the environment.")
  String url;

  @Option(
      names = "--pg-user",
      description = "User (default: from the configuration, else postgres).")
  String user;

  @Option(names = "--pg-password", description = "Password (default: from the configuration).")
  String password;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "Sidecar configuration to read the database from.")
  Path config;

  @Option(names = "--json", description = "Print one JSON document instead of text.")
  boolean json;

  /** Opens a connection to the chosen database. */
  Connection connect() {
    Settings settings = Settings.load(config, System.getenv(), Map.of());
    String jdbcUrl = url != null ? url : settings.get(Connections.POSTGRES_URL);
    String u = user != null ? user : settings.get(Connections.POSTGRES_USER);
    String p = password != null ? password : settings.get(Connections.POSTGRES_PASSWORD);
    try {
      return DriverManager.getConnection(jdbcUrl, u, p);
    } catch (SQLException e) {
      throw new ToolException(
          "cannot connect to " + jdbcUrl + " as " + u + ": " + e.getMessage(), e);
    }
  }

  /** Prints {@code value} as JSON on one line. */
  static void printJson(PrintWriter out, Object value) {
    try {
      out.println(Json.mapper().writeValueAsString(value));
    } catch (Exception e) {
      throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
    }
  }
}
