package io.cachepipe.servers;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A real single-node Kafka (KRaft, combined broker and controller) in a child JVM: {@code
 * kafka.Kafka} from the {@code kafka_2.13} jar on this JVM's class path, with its storage formatted
 * in a fresh temporary directory that {@link #close()} deletes. The broker's log goes to {@code
 * kafka.log} in that directory, never to this JVM's console.
 *
 * <p>For fault injection the broker can be stopped and started again with the same ports and data
 * ({@link #stopBroker()}, {@link #restart()}): topics, records and committed offsets survive, as
 * they do when a real broker restarts.
 */
public final class LocalKafka implements AutoCloseable {

  private static final String HOST = "127.0.0.1";
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
  private static final String C1_ONLY = "-XX:TieredStopAtLevel=1";
  private static final List<String> JVM_OPTIONS =
      List.of(
          "-Xms128m",
          "-Xmx512m",
          "-XX:+UseG1GC",
          "-XX:MaxGCPauseMillis=20",
          // C1 only: on a small machine the broker's C2 compilations would compete for the cores
          // with the JVM it serves for its first half minute; C1 code is fast enough for a test
          // or demo broker.
          C1_ONLY,
          "-Djava.awt.headless=true");

  /**
   * With this system property {@code true} the broker JVM compiles with C2 too: slower for its
   * first half minute, cheaper per request after that. The benchmarks set it ({@code ./cachepipe
   * bench}); tests and the demo keep the fast start.
   */
  public static final String FULL_JIT_PROPERTY = "cachepipe.local.kafka.full.jit";

  private final ScratchDirectory dir;
  private final KafkaBrokerFiles files;
  private final Path argumentFile;
  private final int port;
  private final Map<String, Integer> clientPorts;
  private ChildProcess child;
  private volatile boolean keepData;

  private LocalKafka(
      ScratchDirectory dir,
      KafkaBrokerFiles files,
      Path argumentFile,
      int port,
      Map<String, Integer> clientPorts) {
    this.dir = dir;
    this.files = files;
    this.argumentFile = argumentFile;
    this.port = port;
    this.clientPorts = Map.copyOf(clientPorts);
  }

  /**
   * Formats storage, starts the broker and waits until an Admin client can describe the cluster.
   *
   * @throws LocalServerException if formatting fails, or the broker dies or is not ready within 60
   *     s; the message ends with the broker's last log lines
   */
  public static LocalKafka start() {
    return start(List.of(), null);
  }

  /**
   * Like {@link #start()}, with a second listener for clients, {@code SASL_PLAINTEXT} with the
   * PLAIN mechanism and one user ({@link #saslBootstrapServers()}), to show that clients configured
   * for SASL authenticate, and that a wrong password is refused.
   */
  public static LocalKafka startWithSaslPlain(String user, String password) {
    return start(
        List.of(SASL_PLAINTEXT),
        new KafkaBrokerFiles.Security(
            Objects.requireNonNull(user, "user"),
            Objects.requireNonNull(password, "password"),
            null));
  }

  /**
   * Like {@link #start()}, with two more client listeners that speak TLS with {@code certificates}'
   * server certificate: {@code SSL} ({@link #sslBootstrapServers()}) and {@code SASL_SSL} with the
   * PLAIN mechanism and one user ({@link #saslSslBootstrapServers()}).
   */
  public static LocalKafka startWithTls(
      TestCertificates certificates, String user, String password) {
    return start(
        List.of(SSL, SASL_SSL),
        new KafkaBrokerFiles.Security(
            Objects.requireNonNull(user, "user"),
            Objects.requireNonNull(password, "password"),
            Objects.requireNonNull(certificates, "certificates")));
  }

  private static final String SASL_PLAINTEXT = "SASL_PLAINTEXT";
  private static final String SSL = "SSL";
  private static final String SASL_SSL = "SASL_SSL";

  private static LocalKafka start(List<String> protocols, KafkaBrokerFiles.Security security) {
    ScratchDirectory dir = ScratchDirectory.create("cachepipe-kafka-");
    KafkaBrokerFiles files = new KafkaBrokerFiles(dir);
    List<Integer> ports = new ArrayList<>();
    while (ports.size() < 2 + protocols.size()) {
      int picked = FreePort.pick();
      if (!ports.contains(picked)) {
        ports.add(picked);
      }
    }
    int brokerPort = ports.get(0);
    int controllerPort = ports.get(1);
    Map<String, Integer> clientPorts = new java.util.LinkedHashMap<>();
    List<KafkaBrokerFiles.Listener> listeners = new ArrayList<>();
    for (int i = 0; i < protocols.size(); i++) {
      clientPorts.put(protocols.get(i), ports.get(2 + i));
      listeners.add(new KafkaBrokerFiles.Listener(protocols.get(i), ports.get(2 + i)));
    }
    LocalKafka kafka;
    try {
      files.writeServerProperties(brokerPort, controllerPort, listeners, security);
      files.formatStorage();
      List<String> arguments = new ArrayList<>(JVM_OPTIONS);
      if (Boolean.getBoolean(FULL_JIT_PROPERTY)) {
        arguments.remove(C1_ONLY);
      }
      arguments.addAll(files.loggingSystemProperties());
      arguments.addAll(
          List.of(
              "-cp",
              System.getProperty("java.class.path"),
              ExitWithParent.class.getName(),
              "kafka.Kafka",
              files.serverProperties().toString()));
      kafka = new LocalKafka(dir, files, files.argumentFile(arguments), brokerPort, clientPorts);
    } catch (RuntimeException e) {
      dir.delete();
      throw e;
    }
    synchronized (kafka) {
      kafka.launch();
    }
    return kafka;
  }

  /** Starts the broker JVM on the formatted storage and waits until it describes the cluster. */
  private void launch() {
    ProcessBuilder builder =
        new ProcessBuilder(javaBinary(), "@" + argumentFile).directory(dir.path().toFile());
    ChildProcess started =
        ChildProcesses.start("kafka:" + port, builder, ChildOutput.toFile(files.jvmOutput()));
    // The directory goes with the broker, unless it is only stopped to be restarted.
    started.whenStopped(
        () -> {
          if (!keepData) {
            dir.delete();
          }
        });
    child = started;
    try {
      Readiness.await(
          started,
          STARTUP_TIMEOUT,
          () -> ClusterProbe.describesCluster(HOST, port, bootstrapServers()),
          this::logTail);
    } catch (RuntimeException e) {
      started.stop();
      throw e;
    }
  }

  /** {@code 127.0.0.1:PORT} of the PLAINTEXT listener. */
  public String bootstrapServers() {
    return HOST + ":" + port;
  }

  /**
   * {@code 127.0.0.1:PORT} of the SASL_PLAINTEXT listener of a broker started with {@link
   * #startWithSaslPlain}.
   */
  public String saslBootstrapServers() {
    return listener(SASL_PLAINTEXT, "startWithSaslPlain");
  }

  /** {@code 127.0.0.1:PORT} of the SSL listener of a broker started with {@link #startWithTls}. */
  public String sslBootstrapServers() {
    return listener(SSL, "startWithTls");
  }

  /**
   * {@code 127.0.0.1:PORT} of the SASL_SSL listener of a broker started with {@link #startWithTls}.
   */
  public String saslSslBootstrapServers() {
    return listener(SASL_SSL, "startWithTls");
  }

  private String listener(String protocol, String startedBy) {
    Integer listening = clientPorts.get(protocol);
    if (listening == null) {
      throw new IllegalStateException(
          "this broker has no " + protocol + " listener: see " + startedBy);
    }
    return HOST + ":" + listening;
  }

  /** The broker's JVM (a new one after {@link #restart()}). */
  public synchronized ProcessHandle process() {
    return child.handle();
  }

  /** Whether the broker's JVM is running (false between {@link #stopBroker()} and restart). */
  public synchronized boolean isRunning() {
    return child.isAlive();
  }

  /**
   * Stops the broker (SIGTERM: a controlled shutdown) but keeps its ports and data for {@link
   * #restart()}. Idempotent.
   */
  public synchronized void stopBroker() {
    keepData = true;
    try {
      child.stop();
    } finally {
      keepData = false;
    }
  }

  /**
   * Starts the broker again on the same ports and data, stopping the running one first if there is
   * one, and waits until it describes the cluster.
   *
   * @throws LocalServerException if it does not come back within 60 s
   */
  public synchronized void restart() {
    stopBroker();
    launch();
  }

  /** Stops the broker (SIGTERM: a controlled shutdown) and deletes its directory. */
  @Override
  public synchronized void close() {
    child.stop();
    dir.delete();
  }

  @Override
  public String toString() {
    return "LocalKafka[" + bootstrapServers() + "]";
  }

  private String logTail() {
    return "--- "
        + files.brokerLog()
        + " ---\n"
        + ChildOutput.toFile(files.brokerLog()).tail(40)
        + "\n--- "
        + files.jvmOutput()
        + " ---\n"
        + child.outputTail(20);
  }

  private static String javaBinary() {
    String current = ProcessHandle.current().info().command().orElse("");
    if (Path.of(current).getFileName() != null
        && Objects.equals(Path.of(current).getFileName().toString(), "java")) {
      return current;
    }
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
