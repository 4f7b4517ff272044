package io.cachepipe.servers;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.common.Uuid;

/** The files a {@link LocalKafka} broker runs from, all inside its scratch directory. */
final class KafkaBrokerFiles {

  private final ScratchDirectory dir;

  KafkaBrokerFiles(ScratchDirectory dir) {
    this.dir = dir;
  }

  Path serverProperties() {
    return dir.resolve("server.properties");
  }

  /** Where the broker's log4j2 or logback output goes. */
  Path brokerLog() {
    return dir.resolve("kafka.log");
  }

  /** The JVM's own standard output and error: launch failures, SLF4J warnings. */
  Path jvmOutput() {
    return dir.resolve("kafka.out");
  }

  /**
   * A combined KRaft broker and controller on 127.0.0.1, with a PLAINTEXT client listener on {@code
   * brokerPort}. Every replication factor and minimum ISR is 1 because there is one node; consumer
   * groups start without the usual 3 s delay.
   */
  void writeServerProperties(int brokerPort, int controllerPort) {
    writeServerProperties(brokerPort, controllerPort, List.of(), null);
  }

  /**
   * Like {@link #writeServerProperties(int, int)}, with more client listeners: {@code
   * SASL_PLAINTEXT}, {@code SSL} or {@code SASL_SSL}. The SASL ones take the PLAIN mechanism for
   * {@code security.user()}; the TLS ones present {@code security.certificates()}' server
   * certificate (a PEM key store) and ask clients for none.
   *
   * @param security who authenticates and the certificates, or null when no listener needs them
   */
  void writeServerProperties(
      int brokerPort, int controllerPort, List<Listener> listeners, Security security) {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("process.roles", "broker,controller");
    config.put("node.id", "1");
    List<String> clients = new ArrayList<>(List.of("PLAINTEXT://127.0.0.1:" + brokerPort));
    listeners.forEach(l -> clients.add(l.url()));
    config.put(
        "listeners", String.join(",", clients) + ",CONTROLLER://127.0.0.1:" + controllerPort);
    config.put("advertised.listeners", String.join(",", clients));
    config.put(
        "listener.security.protocol.map",
        "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,"
            + "SASL_SSL:SASL_SSL");
    for (Listener listener : listeners) {
      if (listener.protocol().startsWith("SASL_")) {
        config.put("sasl.enabled.mechanisms", "PLAIN");
        config.put(
            "listener.name."
                + listener.protocol().toLowerCase(Locale.ROOT)
                + ".plain.sasl.jaas.config",
            "org.apache.kafka.common.security.plain.PlainLoginModule required user_"
                + security.user()
                + "=\""
                + security.password()
                + "\";");
      }
      if (listener.protocol().endsWith("SSL")) {
        config.put("ssl.keystore.type", "PEM");
        config.put("ssl.keystore.location", keyStore(security.certificates()).toString());
        config.put("ssl.client.auth", "none");
      }
    }
    config.put("inter.broker.listener.name", "PLAINTEXT");
    config.put("controller.listener.names", "CONTROLLER");
    config.put("controller.quorum.bootstrap.servers", "127.0.0.1:" + controllerPort);
    config.put("log.dirs", dir.resolve("data").toString());
    config.put("num.partitions", "1");
    config.put("default.replication.factor", "1");
    config.put("min.insync.replicas", "1");
    config.put("offsets.topic.replication.factor", "1");
    config.put("offsets.topic.num.partitions", "1");
    config.put("transaction.state.log.replication.factor", "1");
    config.put("transaction.state.log.min.isr", "1");
    config.put("transaction.state.log.num.partitions", "1");
    config.put("share.coordinator.state.topic.replication.factor", "1");
    config.put("share.coordinator.state.topic.min.isr", "1");
    config.put("group.initial.rebalance.delay.ms", "0");
    // A broker for one small machine: the defaults (3 network threads, 8 request handlers) only
    // add context switches on 2 cores.
    config.put("num.network.threads", "1");
    config.put("num.io.threads", "2");
    config.put("auto.create.topics.enable", "true");
    write(
        serverProperties(),
        config.entrySet().stream()
            .map(e -> e.getKey() + "=" + e.getValue().replace("\\", "\\\\"))
            .collect(Collectors.joining("\n", "", "\n")));
  }

  /** The broker's PEM key store: its private key, then its certificate. */
  private Path keyStore(TestCertificates certificates) {
    Path store = dir.resolve("broker-keystore.pem");
    try {
      write(
          store,
          Files.readString(certificates.key())
              + "\n"
              + Files.readString(certificates.certificate()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + certificates, e);
    }
    return store;
  }

  /** A client listener on 127.0.0.1 besides PLAINTEXT. */
  record Listener(String protocol, int port) {
    String url() {
      return protocol + "://127.0.0.1:" + port;
    }
  }

  /** The one PLAIN user of the SASL listeners, and the TLS listeners' certificates. */
  record Security(String user, String password, TestCertificates certificates) {}

  /**
   * Points both logging back ends at {@link #brokerLog()}. The broker logs through SLF4J, and the
   * child runs with this JVM's class path: whichever provider that has (logback in cachepipe,
   * log4j2 in a Kafka distribution) finds its file here rather than a console configuration.
   */
  List<String> loggingSystemProperties() {
    String log = xml(brokerLog().toString());
    Path log4j2 = dir.resolve("log4j2.xml");
    write(
        log4j2,
        "<Configuration status=\"WARN\">\n"
            + "  <Appenders>\n"
            + "    <File name=\"broker\" fileName=\""
            + log
            + "\">\n"
            + "      <PatternLayout pattern=\"[%d] %p %m (%c)%n\"/>\n"
            + "    </File>\n"
            + "  </Appenders>\n"
            + "  <Loggers><Root level=\"INFO\"><AppenderRef ref=\"broker\"/></Root></Loggers>\n"
            + "</Configuration>\n");
    Path logback = dir.resolve("logback.xml");
    write(
        logback,
        "<configuration>\n"
            + "  <appender name=\"broker\" class=\"ch.qos.logback.core.FileAppender\">\n"
            + "    <file>"
            + log
            + "</file>\n"
            + "    <encoder><pattern>[%d] %level %msg \\(%logger\\)%n</pattern></encoder>\n"
            + "  </appender>\n"
            + "  <root level=\"INFO\"><appender-ref ref=\"broker\"/></root>\n"
            + "</configuration>\n");
    return List.of(
        "-Dlog4j2.configurationFile=" + log4j2,
        "-Dlogback.configurationFile=" + logback,
        "-Dkafka.logs.dir=" + dir.path());
  }

  /**
   * Writes {@code arguments} to a {@code java @argfile}: a class path can be longer than one
   * command-line argument may be (128 KiB on Linux).
   */
  Path argumentFile(List<String> arguments) {
    Path file = dir.resolve("jvm.args");
    write(
        file,
        arguments.stream()
            .map(a -> '"' + a.replace("\\", "\\\\").replace("\"", "\\\"") + '"')
            .collect(Collectors.joining("\n", "", "\n")));
    return file;
  }

  private static String xml(String text) {
    return text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  private static void write(Path file, String content) {
    try {
      Files.writeString(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /**
   * Runs {@code kafka-storage format --standalone} in this JVM: {@code StorageTool.execute} returns
   * instead of calling {@code System.exit}, and a second JVM would add seconds to every start.
   */
  void formatStorage() {
    String[] arguments = {
      "format",
      "--config",
      serverProperties().toString(),
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
}
