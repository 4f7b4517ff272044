package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.core.config.Connections;
import io.cachepipe.example.ExampleSchema;
import io.cachepipe.servers.FreePort;
import io.cachepipe.servers.LocalKafka;
import io.cachepipe.servers.LocalPostgres;
import io.cachepipe.servers.TestCertificates;
import io.cachepipe.sidecar.admin.AdminConfig;
import io.cachepipe.testing.CliRun;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS to Kafka and to PostgreSQL, end to end, with throwaway certificates from openssl: a real
 * broker whose client listeners speak SSL and SASL_SSL (PLAIN), and a PostgreSQL with {@code
 * ssl=on} whose pg_hba.conf rejects every connection without TLS, replication included. {@code
 * cachepipe run} captures, evicts and warms through both with {@code sslmode=verify-full}; the
 * replication connection is seen encrypted in {@code pg_stat_ssl}, and the admin port's Kafka probe
 * reaches the broker with the same security settings as the stages.
 */
class TransportSecurityIT {

  private static final String USER = "cachepipe";
  private static final String PASSWORD = "S3cr3t-kafka-TLS";
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final List<String> OPERATOR_JVM =
      List.of("-XX:TieredStopAtLevel=1", "-Xmx384m", "-Dlogback.configurationFile=logback.xml");

  @TempDir static Path tls;
  private static TestCertificates certificates;
  private static LocalKafka kafka;
  private static LocalPostgres postgres;

  /** A role the server asks a password of (SCRAM), unlike every other, which it trusts. */
  private static final String PASSWORD_ROLE = "cachepipe_pw";

  private static final String PASSWORD_OF_THE_ROLE = "pw-secret-42";

  @TempDir Path dir;

  @BeforeAll
  static void startServersThatSpeakTls() throws Exception {
    certificates = TestCertificates.create(tls);
    // PostgreSQL refuses a key file others may read.
    Files.setPosixFilePermissions(certificates.key(), PosixFilePermissions.fromString("rw-------"));
    Path hba = tls.resolve("pg_hba.conf");
    Files.writeString(
        hba,
        String.join(
            "\n",
            "local all all trust",
            // The one role that must give its password (PASSWORD_ROLE).
            "hostssl all " + PASSWORD_ROLE + " 127.0.0.1/32 scram-sha-256",
            "hostssl all all 127.0.0.1/32 trust",
            "hostssl replication all 127.0.0.1/32 trust",
            "hostnossl all all 0.0.0.0/0 reject",
            "hostnossl replication all 0.0.0.0/0 reject",
            ""));
    postgres =
        LocalPostgres.start(
            Map.of(
                "ssl", "on",
                "ssl_cert_file", certificates.certificate().toString(),
                "ssl_key_file", certificates.key().toString(),
                "hba_file", hba.toString()));
    kafka = LocalKafka.startWithTls(certificates, USER, PASSWORD);
  }

  @AfterAll
  static void stopServers() {
    if (kafka != null) {
      kafka.close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  void runOverKafkaSslAndPostgresVerifyFull() throws Exception {
    Map<String, String> kafkaTls = new HashMap<>();
    kafkaTls.put(Connections.KAFKA_BOOTSTRAP.name(), kafka.sslBootstrapServers());
    kafkaTls.put("kafka.security.protocol", "SSL");
    kafkaTls.put("kafka.ssl.truststore.type", "PEM");
    kafkaTls.put("kafka.ssl.truststore.location", certificates.caCertificate().toString());

    runEvictsOverTls("tls_ssl", kafkaTls);
  }

  @Test
  void runOverKafkaSaslSslAndPostgresVerifyFull() throws Exception {
    Map<String, String> kafkaTls = new HashMap<>();
    kafkaTls.put(Connections.KAFKA_BOOTSTRAP.name(), kafka.saslSslBootstrapServers());
    kafkaTls.put("kafka.security.protocol", "SASL_SSL");
    kafkaTls.put("kafka.sasl.mechanism", "PLAIN");
    kafkaTls.put("kafka.ssl.truststore.type", "PEM");
    kafkaTls.put("kafka.ssl.truststore.location", certificates.caCertificate().toString());
    kafkaTls.put(
        "kafka.sasl.jaas.config",
        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
            + USER
            + "\" password=\""
            + PASSWORD
            + "\";");

    runEvictsOverTls("tls_sasl_ssl", kafkaTls);
  }

  @Test
  void aPostgresCertificateOfAnotherAuthorityIsRefused() throws Exception {
    TestCertificates other = TestCertificates.create(Files.createDirectories(dir.resolve("other")));
    String url =
        postgres.jdbcUrl()
            + "?sslmode=verify-full&sslrootcert="
            + other.caCertificate()
            + "&connectTimeout=5";

    CliRun r =
        CliRun.of(
            Main.commandLine(), "db", "health", "--pg-url", url, "--pg-user", postgres.user());

    assertThat(r.exit()).isEqualTo(Main.FAILED);
    assertThat(r.err().strip().lines()).hasSize(1);
    assertThat(r.err()).contains("cannot connect to").contains("SSL error: PKIX path");
  }

  /**
   * The ways to give a tool the database password without argv: {@code --pg-password-file} and
   * {@code PGPASSWORD}, against a server that checks it (the other tests' servers trust every local
   * connection, so they would pass with any password).
   */
  @Test
  void aPasswordFromAFileOrPgpasswordAuthenticatesAndAWrongOneIsRefused() throws Exception {
    String url =
        postgres.createDatabase("password_auth")
            + "?sslmode=verify-full&sslrootcert="
            + certificates.caCertificate();
    Database admin =
        new Database(
            "password_auth",
            postgres.host(),
            postgres.port(),
            postgres.user(),
            postgres.password(),
            url);
    sql(admin, "CREATE ROLE " + PASSWORD_ROLE + " LOGIN PASSWORD '" + PASSWORD_OF_THE_ROLE + "'");
    Path right = Files.writeString(dir.resolve("right"), PASSWORD_OF_THE_ROLE + "\n");
    Path wrong = Files.writeString(dir.resolve("wrong"), "not-the-password\n");
    String[] explain = {"db", "explain", "select 1", "--pg-url", url, "--pg-user", PASSWORD_ROLE};

    SidecarProcess.Result fromFile =
        explain(Map.of(), explain, "--pg-password-file", right.toString());
    SidecarProcess.Result fromWrongFile =
        explain(Map.of(), explain, "--pg-password-file", wrong.toString());
    SidecarProcess.Result fromPgpassword =
        explain(Map.of("PGPASSWORD", PASSWORD_OF_THE_ROLE), explain);
    SidecarProcess.Result fromWrongPgpassword =
        explain(Map.of("PGPASSWORD", "not-the-password"), explain);

    assertThat(fromFile.exit()).as(fromFile.all()).isZero();
    assertThat(fromPgpassword.exit()).as(fromPgpassword.all()).isZero();
    for (SidecarProcess.Result refused : List.of(fromWrongFile, fromWrongPgpassword)) {
      assertThat(refused.exit()).as(refused.all()).isEqualTo(1);
      assertThat(refused.err()).contains("password authentication failed");
      assertThat(refused.all()).doesNotContain(PASSWORD_OF_THE_ROLE, "not-the-password");
    }
  }

  private SidecarProcess.Result explain(Map<String, String> env, String[] args, String... more)
      throws Exception {
    String[] all =
        java.util.stream.Stream.concat(Arrays.stream(args), Arrays.stream(more))
            .toArray(String[]::new);
    return SidecarProcess.run(dir, env, Duration.ofSeconds(60), all);
  }

  private void runEvictsOverTls(String name, Map<String, String> kafkaTls) throws Exception {
    String plainUrl = postgres.createDatabase(name);
    String url =
        plainUrl + "?sslmode=verify-full&sslrootcert=" + certificates.caCertificate().toString();
    ExampleSchema.migrate(url, postgres.user(), postgres.password());
    Database db =
        new Database(
            name, postgres.host(), postgres.port(), postgres.user(), postgres.password(), url);
    sql(db, "INSERT INTO users (id, name, email) VALUES (1, 'ada', 'ada@example.com')");
    int adminPort = FreePort.pick();
    Map<String, String> extra = new HashMap<>(kafkaTls);
    extra.put(AdminConfig.PORT.name(), Integer.toString(adminPort));
    Path config =
        PipelineTestSettings.writeConfig(
            dir, name, PipelineTestSettings.values(db, name.replace('_', '-')), extra);
    SidecarProcess run =
        SidecarProcess.named(
            dir, name, adminPort, OPERATOR_JVM, List.of("run", "--config", config.toString()));
    run.start();
    // Ready first: the first start's cache flush would otherwise pass for a captured commit.
    run.awaitReady(WAIT);
    try {
      CommitEviction.observe(run, db, TestServers.redis().uri(), WAIT);

      assertThat(
              text(
                  db,
                  "SELECT string_agg(a.backend_type || ' ssl=' || s.ssl, ', ')"
                      + " FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)"
                      + " WHERE a.backend_type = 'walsender' OR a.datname = current_database()"))
          .as("the cdc stage's replication connection, and every other, is encrypted")
          .contains("walsender ssl=true")
          .doesNotContain("ssl=false");
      await("the admin port's Kafka probe reaches the broker")
          .atMost(Duration.ofSeconds(30))
          .until(() -> status(adminPort).contains("\"kafka\":\"1 broker\""));
    } finally {
      SidecarProcess.Result stopped = run.stop(Duration.ofSeconds(30));
      assertThat(stopped.all()).doesNotContain(PASSWORD);
    }
  }

  private static String status(int port) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/status.json"))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static String text(Database db, String query) throws Exception {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(query)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static void sql(Database db, String statement) throws Exception {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }
}
