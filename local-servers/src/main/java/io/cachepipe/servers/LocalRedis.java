package io.cachepipe.servers;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.net.SocketFactory;

/**
 * A throwaway {@code redis-server} on a free port of 127.0.0.1, run as a child process with
 * persistence off. The binary is {@code $CACHEPIPE_REDIS_SERVER}, else {@code redis-server} on the
 * {@code PATH}.
 *
 * <p>For fault injection it can be stopped and started again on the same port ({@link
 * #stopServer()}, {@link #restart()}): an outage that clients see as a refused connection, then an
 * empty server where the old one was.
 *
 * <p>{@link Builder#tls()} makes it speak only TLS, with a certificate of a throwaway CA ({@link
 * TestCertificates}): its URI is then {@code rediss://}.
 */
public final class LocalRedis implements AutoCloseable {

  /** Environment variable naming the {@code redis-server} binary to run. */
  public static final String BINARY_ENV = "CACHEPIPE_REDIS_SERVER";

  private static final String HOST = "127.0.0.1";
  private static final Duration PROBE_TIMEOUT = Duration.ofMillis(500);

  private final Path binary;
  private final int port;
  private final String password;
  private final Duration startupTimeout;
  private final List<String> arguments;
  private final ScratchDirectory tlsDirectory;
  private final TestCertificates certificates;
  private ChildProcess child;

  private LocalRedis(
      Path binary,
      int port,
      String password,
      Duration startupTimeout,
      List<String> arguments,
      boolean tls) {
    this.binary = binary;
    this.port = port;
    this.password = password;
    this.startupTimeout = startupTimeout;
    this.arguments = arguments;
    this.tlsDirectory = tls ? ScratchDirectory.create("cachepipe-redis-tls-") : null;
    this.certificates = tls ? TestCertificates.create(tlsDirectory.path()) : null;
  }

  /** Starts a server without a password and waits until it answers {@code PING}. */
  public static LocalRedis start() {
    return builder().start();
  }

  /** Options for a server that needs more than {@link #start()} gives. */
  public static Builder builder() {
    return new Builder();
  }

  /** Always {@code 127.0.0.1}: the server binds only there. */
  public String host() {
    return HOST;
  }

  /** The TCP port. */
  public int port() {
    return port;
  }

  /**
   * {@code redis://127.0.0.1:PORT}, or {@code rediss://} when the server speaks TLS; without
   * credentials even when a password is required.
   */
  public String uri() {
    return (certificates == null ? "redis://" : "rediss://") + HOST + ":" + port;
  }

  /** The CA and server certificate of a server that speaks TLS ({@link Builder#tls()}). */
  public Optional<TestCertificates> certificates() {
    return Optional.ofNullable(certificates);
  }

  /** The password clients must send with {@code AUTH}, if one was required. */
  public Optional<String> password() {
    return Optional.ofNullable(password);
  }

  /** The server process (a new one after {@link #restart()}). */
  public synchronized ProcessHandle process() {
    return child.handle();
  }

  /** Whether a server process is running (false between {@link #stopServer()} and restart). */
  public synchronized boolean isRunning() {
    return child.isAlive();
  }

  /**
   * Stops the server (SIGTERM, then SIGKILL after the grace period) and deletes its directory, but
   * keeps its port for {@link #restart()}. Its data is gone: persistence is off. Idempotent.
   */
  public synchronized void stopServer() {
    child.stop();
  }

  /**
   * Starts an empty server on the same port, stopping the running one first if there is one, and
   * waits until it answers {@code PING}.
   *
   * @throws LocalServerException if it does not start, e.g. because another process took the port
   *     meanwhile
   */
  public synchronized void restart() {
    child.stop();
    launch();
  }

  /** The running server process, for {@link Readiness} waits of a caller in this package. */
  synchronized ChildProcess child() {
    return child;
  }

  /** Stops the server (SIGTERM, then SIGKILL after the grace period) and deletes its directory. */
  @Override
  public synchronized void close() {
    child.stop();
    if (tlsDirectory != null) {
      tlsDirectory.delete();
    }
  }

  private void launch() {
    ScratchDirectory dir = ScratchDirectory.create("cachepipe-redis-");
    List<String> command = new ArrayList<>();
    command.add(binary.toString());
    if (certificates == null) {
      command.addAll(List.of("--port", Integer.toString(port)));
    } else {
      command.addAll(
          List.of(
              "--port",
              "0",
              "--tls-port",
              Integer.toString(port),
              "--tls-cert-file",
              certificates.certificate().toString(),
              "--tls-key-file",
              certificates.key().toString(),
              "--tls-ca-cert-file",
              certificates.caCertificate().toString(),
              "--tls-auth-clients",
              "no"));
    }
    command.addAll(
        List.of("--bind", HOST, "--save", "", "--appendonly", "no", "--dir", dir.toString()));
    if (password != null) {
      command.addAll(List.of("--requirepass", password));
    }
    command.addAll(arguments);
    ChildProcess started =
        ChildProcesses.start(
            "redis-server:" + port,
            new ProcessBuilder(command).directory(dir.path().toFile()),
            ChildOutput.toFile(dir.resolve("redis.log")));
    started.whenStopped(dir::delete);
    child = started;
    try {
      Readiness.await(started, startupTimeout, this::answersPing, () -> started.outputTail(40));
    } catch (RuntimeException e) {
      started.stop();
      throw e;
    }
  }

  @Override
  public String toString() {
    return "LocalRedis[" + uri() + "]";
  }

  /** Options of a {@link LocalRedis}; start it with {@link #start()}. */
  public static final class Builder {
    private String password;
    private boolean tls;
    private Duration startupTimeout = Duration.ofSeconds(30);
    private final List<String> arguments = new ArrayList<>();

    private Builder() {}

    /**
     * Appends {@code redis-server} command-line options ({@code --cluster-enabled yes}); paths in
     * them are relative to the server's own directory.
     */
    Builder arguments(String... more) {
      arguments.addAll(List.of(more));
      return this;
    }

    /** Makes the server require {@code AUTH password} ({@code --requirepass}). */
    public Builder requirePass(String password) {
      if (Objects.requireNonNull(password, "password").isEmpty()) {
        throw new IllegalArgumentException("password must not be empty");
      }
      this.password = password;
      return this;
    }

    /**
     * Makes the server speak only TLS ({@code --port 0 --tls-port PORT}), with a certificate for
     * 127.0.0.1 signed by a CA made for it ({@link LocalRedis#certificates()}); clients need no
     * certificate of their own.
     */
    public Builder tls() {
      this.tls = true;
      return this;
    }

    /** How long to wait for the first {@code PONG}; 30 seconds unless set. */
    public Builder startupTimeout(Duration startupTimeout) {
      this.startupTimeout = Objects.requireNonNull(startupTimeout, "startupTimeout");
      return this;
    }

    /**
     * Starts the server and waits until it answers {@code PING}.
     *
     * @throws LocalServerException if there is no {@code redis-server} binary, or the server dies
     *     or stays silent past the startup timeout
     */
    public LocalRedis start() {
      LocalRedis redis =
          new LocalRedis(
              findBinary(System.getenv()),
              FreePort.pick(),
              password,
              startupTimeout,
              List.copyOf(arguments),
              tls);
      synchronized (redis) {
        redis.launch();
      }
      return redis;
    }
  }

  private boolean answersPing() throws Exception {
    SocketFactory sockets =
        certificates == null ? SocketFactory.getDefault() : certificates.socketFactory();
    try (RespConnection connection = RespConnection.open(HOST, port, PROBE_TIMEOUT, sockets)) {
      if (password != null) {
        connection.call("AUTH", password);
      }
      return "PONG".equals(connection.call("PING"));
    }
  }

  /** {@code $CACHEPIPE_REDIS_SERVER}, else the first {@code redis-server} on the PATH. */
  static Path findBinary(Map<String, String> environment) {
    String configured = environment.get(BINARY_ENV);
    if (configured != null && !configured.isBlank()) {
      Path binary = Path.of(configured);
      if (!Files.isExecutable(binary)) {
        throw new LocalServerException(
            BINARY_ENV + "=" + configured + " is not an executable file");
      }
      return binary;
    }
    String path = environment.getOrDefault("PATH", "");
    for (String directory : path.split(File.pathSeparator)) {
      if (!directory.isEmpty()) {
        Path candidate = Path.of(directory, "redis-server");
        if (Files.isExecutable(candidate)) {
          return candidate;
        }
      }
    }
    throw new LocalServerException(
        "redis-server not found: set "
            + BINARY_ENV
            + " to its path or put it on the PATH. To install it on Debian or Ubuntu:"
            + " apt-get install redis-server");
  }
}
