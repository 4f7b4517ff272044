package io.cachepipe.sidecar.db;

import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.SecretFile;
import io.cachepipe.core.config.Secrets;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.json.Json;
import io.cachepipe.pgtools.ToolException;
import io.cachepipe.sidecar.SidecarConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The options every {@code db} command shares, and {@code audit} too: which database, which
 * configuration, and text or JSON.
 */
public final class DatabaseOptions {

  @Option(
      names = "--pg-url",
      paramLabel = "JDBC-URL",
      description = "The database; default: cachepipe.postgres.url of --config or the environment.")
  String url;

  @Option(
      names = "--pg-user",
      description = "User (default: from the configuration, else postgres).")
  String user;

  @Option(
      names = "--pg-password",
      description =
          "Password (visible in ps and shell history: prefer --pg-password-file, PGPASSWORD or"
              + " CACHEPIPE_POSTGRES_PASSWORD). Default: from the configuration, else PGPASSWORD.")
  String password;

  @Option(
      names = "--pg-password-file",
      paramLabel = "FILE",
      description = "A file holding the password (overrides cachepipe.postgres.password.file).")
  Path passwordFile;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "Sidecar configuration (properties file) to read the connections from.")
  Path config;

  @Option(names = "--json", description = "Print one JSON document instead of text.")
  boolean json;

  /** The configuration: {@code --config}, overridden by the environment, overridden by options. */
  public Settings settings() {
    Map<String, String> overrides = new LinkedHashMap<>();
    if (url != null) {
      overrides.put(Connections.POSTGRES_URL.name(), url);
    }
    if (user != null) {
      overrides.put(Connections.POSTGRES_USER.name(), user);
    }
    if (passwordFile != null) {
      overrides.put(Connections.POSTGRES_PASSWORD.name(), "");
      overrides.put(Connections.POSTGRES_PASSWORD_FILE.name(), passwordFile.toString());
    }
    if (password != null) {
      overrides.put(Connections.POSTGRES_PASSWORD.name(), password);
    }
    return SidecarConfig.load(config, System.getenv(), overrides);
  }

  /** Whether {@code --json} was given. */
  public boolean json() {
    return json;
  }

  /** Opens a connection to the chosen database, once the configuration passed the start check. */
  Connection connect() {
    Settings settings = settings();
    SidecarConfig.validate(settings);
    return connect(settings);
  }

  /**
   * Opens a connection to the database of {@code settings}.
   *
   * @throws ToolException with one line that names the URL and the user, if it cannot
   */
  public static Connection connect(Settings settings) {
    String jdbcUrl = settings.get(Connections.POSTGRES_URL);
    String u = settings.get(Connections.POSTGRES_USER);
    String p =
        SecretFile.valueOrFile(
            settings, Connections.POSTGRES_PASSWORD, Connections.POSTGRES_PASSWORD_FILE);
    try {
      return DriverManager.getConnection(jdbcUrl, u, p);
    } catch (SQLException e) {
      throw new ToolException(
          "cannot connect to "
              + Secrets.maskCredentials(jdbcUrl)
              + " as "
              + u
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /** Prints {@code value} as JSON on one line. */
  public static void printJson(PrintWriter out, Object value) {
    try {
      out.println(Json.mapper().writeValueAsString(value));
    } catch (Exception e) {
      throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
    }
  }
}
