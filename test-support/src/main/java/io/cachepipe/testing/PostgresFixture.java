package io.cachepipe.testing;

import io.cachepipe.example.ExampleSchema;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A PostgreSQL server set up for logical replication ({@code wal_level=logical}, {@code
 * pg_stat_statements} preloaded), shared by the tests of one JVM. Each test class takes its own
 * database with {@link #createDatabase(String)}, so publications, slots and tables never collide.
 */
public final class PostgresFixture implements AutoCloseable {

  /** A database created for one test class, and everything needed to connect to it. */
  public record Database(
      String name, String host, int port, String user, String password, String jdbcUrl) {}

  private final String host;
  private final int port;
  private final String user;
  private final String password;
  private final String adminDatabase;
  private final AutoCloseable server;

  PostgresFixture(
      String host,
      int port,
      String user,
      String password,
      String adminDatabase,
      AutoCloseable server) {
    this.host = host;
    this.port = port;
    this.user = user;
    this.password = password;
    this.adminDatabase = adminDatabase;
    this.server = server;
  }

  /** Host name or address clients connect to. */
  public String host() {
    return host;
  }

  /** TCP port clients connect to. */
  public int port() {
    return port;
  }

  /** A superuser: it may create databases, publications and replication slots. */
  public String user() {
    return user;
  }

  /** The superuser's password. */
  public String password() {
    return password;
  }

  /** JDBC URL of the server's maintenance database, without credentials. */
  public String jdbcUrl() {
    return jdbcUrl(adminDatabase);
  }

  /**
   * Creates a database with a unique name that starts with {@code prefix}, and migrates it to the
   * example schema ({@code users}, {@code posts}).
   */
  public Database createDatabase(String prefix) {
    Database database = createEmptyDatabase(prefix);
    try {
      ExampleSchema.migrate(database.jdbcUrl(), user, password);
    } catch (RuntimeException e) {
      throw new FixtureException("cannot migrate " + database.name() + " to the example schema", e);
    }
    return database;
  }

  /** Creates an empty database with a unique name that starts with {@code prefix}. */
  public Database createEmptyDatabase(String prefix) {
    String name = UniqueNames.database(prefix);
    try (Connection connection = DriverManager.getConnection(jdbcUrl(), user, password);
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE DATABASE \"" + name + "\"");
    } catch (SQLException e) {
      throw new FixtureException("cannot create database " + name + " on " + jdbcUrl(), e);
    }
    return new Database(name, host, port, user, password, jdbcUrl(name));
  }

  /** Stops the server. {@link TestServers} does this when the JVM exits. */
  @Override
  public void close() throws Exception {
    server.close();
  }

  @Override
  public String toString() {
    return "PostgresFixture[" + jdbcUrl() + "]";
  }

  private String jdbcUrl(String database) {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database;
  }
}
