package io.cachepipe.servers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

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
   * A combined KRaft broker and controller on 127.0.0.1. Every replication factor and minimum ISR
   * is 1 because there is one node; consumer groups start without the usual 3 s delay.
   */
  void writeServerProperties(int brokerPort, int controllerPort) {
    writeServerProperties(brokerPort, controllerPort, null);
  }

  /**
   * Like {@link #writeServerProperties(int, int)}, with a second client listener, {@code
   * SASL_PLAINTEXT} with the PLAIN mechanism, on {@code sasl.port()} for {@code sasl.user()}.
   *
   * @param sasl the listener's port and its one user, or null for none
   */
  void writeServerProperties(int brokerPort, int controllerPort, SaslListener sasl) {
    Map<String, String> config = new LinkedHashMap<>();
    config.put("process.roles", "broker,controller");
    config.put("node.id", "1");
    String plaintext = "PLAINTEXT://127.0.0.1:" + brokerPort;
    String clients = sasl == null ? plaintext : plaintext + "," + sasl.listener();
    config.put("listeners", clients + ",CONTROLLER://127.0.0.1:" + controllerPort);
    config.put("advertised.listeners", clients);
    config.put(
        "listener.security.protocol.map",
        "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT");
    if (sasl != null) {
      config.put("sasl.enabled.mechanisms", "PLAIN");
      config.put(
          "listener.name.sasl_plaintext.plain.sasl.jaas.config",
          "org.apache.kafka.common.security.plain.PlainLoginModule required user_"
              + sasl.user()
              + "=\""
              + sasl.password()
              + "\";");
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

  /** A {@code SASL_PLAINTEXT} listener on 127.0.0.1 whose one PLAIN user is {@code user}. */
  record SaslListener(int port, String user, String password) {
    String listener() {
      return "SASL_PLAINTEXT://127.0.0.1:" + port;
    }
  }

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
}
