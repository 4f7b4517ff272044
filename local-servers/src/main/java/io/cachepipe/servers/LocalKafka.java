package io.cachepipe.servers;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Uuid;

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
  private static final int PROBE_MILLIS = 2_000;
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
  private final int saslPort;
  private ChildProcess child;
  private volatile boolean keepData;

  private LocalKafka(
      ScratchDirectory dir, KafkaBrokerFiles files, Path argumentFile, int port, int saslPort) {
    this.dir = dir;
    this.files = files;
    this.argumentFile = argumentFile;
    this.port = port;
    this.saslPort = saslPort;
  }

  /**
   * Formats storage, starts the broker and waits until an Admin client can describe the cluster.
   *
   * @throws LocalServerException if formatting fails, or the broker dies or is not ready within 60
   *     s; the message ends with the broker's last log lines
   */
  public static LocalKafka start() {
    return start(null, null);
  }

  /**
   * Like {@link #start()}, with a second listener for clients, {@code SASL_PLAINTEXT} with the
   * PLAIN mechanism and one user ({@link #saslBootstrapServers()}), to show that clients configured
   * for SASL authenticate, and that a wrong password is refused.
   */
  public static LocalKafka startWithSaslPlain(String user, String password) {
    return start(
        Objects.requireNonNull(user, "user"), Objects.requireNonNull(password, "password"));
  }

  private static LocalKafka start(String saslUser, String saslPassword) {
    ScratchDirectory dir = ScratchDirectory.create("cachepipe-kafka-");
    KafkaBrokerFiles files = new KafkaBrokerFiles(dir);
    int brokerPort = FreePort.pick();
    int controllerPort = FreePort.pick();
    while (controllerPort == brokerPort) {
      controllerPort = FreePort.pick();
    }
    KafkaBrokerFiles.SaslListener sasl = null;
    if (saslUser != null) {
      int saslPort = FreePort.pick();
      while (saslPort == brokerPort || saslPort == controllerPort) {
        saslPort = FreePort.pick();
      }
      sasl = new KafkaBrokerFiles.SaslListener(saslPort, saslUser, saslPassword);
    }
    LocalKafka kafka;
    try {
      files.writeServerProperties(brokerPort, controllerPort, sasl);
      format(files.serverProperties());
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
      kafka =
          new LocalKafka(
              dir,
              files,
              files.argumentFile(arguments),
              brokerPort,
              sasl == null ? -1 : sasl.port());
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
      Readiness.await(started, STARTUP_TIMEOUT, this::describesCluster, this::logTail);
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
    if (saslPort < 0) {
      throw new IllegalStateException("this broker has no SASL listener: see startWithSaslPlain");
    }
    return HOST + ":" + saslPort;
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

  /**
   * Runs {@code kafka-storage format --standalone} in this JVM: {@code StorageTool.execute} returns
   * instead of calling {@code System.exit}, and a second JVM would add seconds to every start.
   */
  private static void format(Path serverProperties) {
    String[] arguments = {
      "format",
      "--config",
      serverProperties.toString(),
      "--cluster-id",
      Uuid.randomUuid().toString(),
      "--standalone"
    };
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    int exitCode;
    try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
      exitCode = kafka.tools.StorageTool.execute(arguments, out);
    } catch (RuntimeException e) {
      throw new LocalServerException("kafka-storage format failed: " + output, e);
    }
    if (exitCode != 0) {
      throw new LocalServerException(
          "kafka-storage format exited with " + exitCode + ": " + output);
    }
  }

  private boolean describesCluster() throws Exception {
    // A refused connection costs nothing; an Admin client would retry it with warnings.
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(HOST, port), PROBE_MILLIS);
    }
    Map<String, Object> config =
        Map.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers(),
            AdminClientConfig.CLIENT_ID_CONFIG,
            "cachepipe-local-kafka-probe",
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
            PROBE_MILLIS,
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
            PROBE_MILLIS);
    try (Admin admin = Admin.create(config)) {
      return !admin
          .describeCluster(new DescribeClusterOptions().timeoutMs(PROBE_MILLIS))
          .nodes()
          .get(PROBE_MILLIS, TimeUnit.MILLISECONDS)
          .isEmpty();
    }
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
