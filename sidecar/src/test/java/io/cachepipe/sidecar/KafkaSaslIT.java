package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.core.config.Connections;
import io.cachepipe.servers.LocalKafka;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka SASL through the pass-through keys ({@code kafka.security.protocol}, {@code
 * kafka.sasl.mechanism}, {@code KAFKA_SASL_JAAS_CONFIG}): against a real broker whose only address
 * the pipeline knows is a SASL_PLAINTEXT listener (PLAIN), {@code cachepipe run} captures, evicts
 * and warms, so every Kafka client of every stage authenticated; with a wrong password it stops in
 * one line naming Kafka and the refused authentication, never the password.
 */
class KafkaSaslIT {

  private static final String USER = "cachepipe";
  private static final String PASSWORD = "S3cr3t-kafka-SASL";
  private static final String WRONG = "Wr0ng-kafka-QQQ";
  private static final Duration WAIT = Duration.ofSeconds(90);

  private static LocalKafka kafka;

  @TempDir Path dir;

  @BeforeAll
  static void startKafkaWithSasl() {
    kafka = LocalKafka.startWithSaslPlain(USER, PASSWORD);
  }

  @AfterAll
  static void stopKafka() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void runAuthenticatesEveryKafkaClientAndEvicts() throws Exception {
    Database db = TestServers.postgres().createDatabase("kafka_sasl_it");
    sql(db, "INSERT INTO users (id, name, email) VALUES (1, 'ada', 'ada@example.com')");
    SidecarProcess run = start(db, "kafka-sasl", PASSWORD);
    try {
      CommitEviction.observe(run, db, TestServers.redis().uri(), WAIT);
    } finally {
      SidecarProcess.Result stopped = run.stop(Duration.ofSeconds(30));
      assertThat(stopped.all()).doesNotContain(PASSWORD);
    }
  }

  @Test
  void aWrongPasswordStopsRunInOneLineWithoutThePassword() throws Exception {
    Database db = TestServers.postgres().createDatabase("kafka_sasl_wrong_it");
    SidecarProcess run = start(db, "kafka-sasl-wrong", WRONG);
    await("run stops").atMost(WAIT).until(() -> !run.isAlive());
    SidecarProcess.Result r = run.stop(Duration.ofSeconds(1));
    System.out.println("kafka sasl, wrong password, stderr:\n" + r.err().strip());

    assertThat(r.exit()).as(r.err()).isEqualTo(Main.FAILED);
    assertThat(r.err()).doesNotContain(WRONG, PASSWORD, "\tat ");
    List<String> lines = r.err().strip().lines().toList();
    assertThat(lines).as(r.err()).filteredOn(l -> l.startsWith("cachepipe: ")).hasSize(1);
    assertThat(lines.get(lines.size() - 1))
        .startsWith("cachepipe: ")
        .contains("Kafka at " + kafka.saslBootstrapServers())
        .contains("Authentication failed");
  }

  /** {@code run} with every stage, its Kafka clients on the SASL listener with {@code password}. */
  private SidecarProcess start(Database db, String name, String password) throws Exception {
    Path config =
        PipelineTestSettings.writeConfig(
            dir,
            name,
            PipelineTestSettings.values(db, name),
            Map.of(
                Connections.KAFKA_BOOTSTRAP.name(),
                kafka.saslBootstrapServers(),
                "kafka.security.protocol",
                "SASL_PLAINTEXT",
                "kafka.sasl.mechanism",
                "PLAIN"));
    return SidecarProcess.start(
        dir.resolve(name),
        Map.of(
            "KAFKA_SASL_JAAS_CONFIG",
            "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                + USER
                + "\" password=\""
                + password
                + "\";"),
        "run",
        "--config",
        config.toString(),
        "--admin-port",
        "-1");
  }

  private static void sql(Database db, String statement) throws Exception {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }
}
