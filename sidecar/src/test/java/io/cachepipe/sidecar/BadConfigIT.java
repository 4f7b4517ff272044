package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.example.ExampleSchema;
import io.cachepipe.servers.FreePort;
import io.cachepipe.servers.LocalPostgres;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 6's fault 11: bad configuration. {@code cachepipe run} in a process of its own, with one
 * thing wrong each time: an unknown key, a value of the wrong type, a server nobody listens at,
 * PostgreSQL without {@code wal_level=logical}, a watched table without REPLICA IDENTITY FULL. Each
 * must stop cachepipe quickly with a non-zero exit and one line on stderr that names the key or the
 * fix, with no stack trace and no credential.
 */
class BadConfigIT {

  /** How long a bad configuration may take to stop {@code run}, JVM start included. */
  private static final Duration FAILS_WITHIN = Duration.ofSeconds(30);

  private static final String PASSWORD = "S3cr3t-pg-BAD";

  private static Database db;
  private static Map<String, String> good;

  @TempDir Path dir;

  @BeforeAll
  static void goodConfiguration() throws Exception {
    db = TestServers.postgres().createDatabase("bad_config_it");
    good = PipelineTestSettings.values(db, "bad-config");
  }

  @Test
  void anUnknownKeyNamesTheClosestKnownKey() throws Exception {
    SidecarProcess.Result r = run(Map.of("cachepipe.cdc.pol.interval.ms", "5"), "all");

    assertOneLine(r, Main.BAD_CONFIG)
        .isEqualTo(
            "cachepipe: configuration error: cachepipe.cdc.pol.interval.ms: unknown key; did you"
                + " mean cachepipe.cdc.poll.interval.ms?");
  }

  @Test
  void aValueOfTheWrongTypeNamesTheKeyAndWhatItExpected() throws Exception {
    SidecarProcess.Result r = run(Map.of("cachepipe.topic.partitions", "many"), "all");

    assertOneLine(r, Main.BAD_CONFIG)
        .isEqualTo(
            "cachepipe: configuration error: cachepipe.topic.partitions: expected an integer from"
                + " 1 to 10000, got 'many'");
  }

  @Test
  void anUnreachablePostgresIsNamedWithItsAddressAndTheCredentialsMasked() throws Exception {
    int port = FreePort.pick();
    SidecarProcess.Result r =
        run(
            Map.of(
                "cachepipe.postgres.url",
                "jdbc:postgresql://127.0.0.1:" + port + "/app?password=" + PASSWORD),
            "all");

    assertOneLine(r, Main.FAILED)
        .startsWith(
            "cachepipe: cannot connect to PostgreSQL at jdbc:postgresql://127.0.0.1:"
                + port
                + "/app?password=********")
        .contains("Connection to 127.0.0.1:" + port + " refused");
  }

  @Test
  void anUnreachableKafkaIsNamedWithItsAddress() throws Exception {
    String kafka = "127.0.0.1:" + FreePort.pick();
    SidecarProcess.Result r = run(Map.of("kafka.bootstrap.servers", kafka), "all");

    assertOneLine(r, Main.FAILED)
        .isEqualTo(
            "cachepipe: cannot connect to Kafka at "
                + kafka
                + ": "
                + kafka
                + " (Connection refused)");
  }

  @Test
  void anUnreachableRedisIsNamedWithItsAddressAndTheCredentialsMasked() throws Exception {
    int port = FreePort.pick();
    SidecarProcess.Result r =
        run(Map.of("cachepipe.redis.uri", "redis://:" + PASSWORD + "@127.0.0.1:" + port), "all");

    assertOneLine(r, Main.FAILED)
        .startsWith("cachepipe: cannot connect to Redis at redis://:********@127.0.0.1:" + port)
        .contains("Connection refused");
  }

  @Test
  void postgresWithoutLogicalWalLevelSaysToSetItAndRestart() throws Exception {
    try (LocalPostgres replicaOnly = LocalPostgres.start(Map.of("wal_level", "replica"))) {
      String url = replicaOnly.createDatabase("bad_config_wal");
      ExampleSchema.migrate(url, replicaOnly.user(), replicaOnly.password());
      Map<String, String> server = new HashMap<>();
      server.put("cachepipe.postgres.url", url);
      server.put("cachepipe.postgres.user", replicaOnly.user());
      server.put("cachepipe.postgres.password", replicaOnly.password());

      SidecarProcess.Result r = run(server, "cdc");

      assertOneLine(r, Main.FAILED)
          .contains("wal_level is 'replica'")
          .contains("ALTER SYSTEM SET wal_level = logical")
          .contains("restart PostgreSQL");
    }
  }

  @Test
  void aWatchedTableWithoutReplicaIdentityFullIsNamedWithTheAlterTableThatFixesIt()
      throws Exception {
    Database plain = TestServers.postgres().createDatabase("bad_config_identity");
    try (Connection c =
            DriverManager.getConnection(plain.jdbcUrl(), plain.user(), plain.password());
        Statement st = c.createStatement()) {
      st.execute("ALTER TABLE posts REPLICA IDENTITY DEFAULT");
    }
    Map<String, String> server = new HashMap<>();
    server.put("cachepipe.postgres.url", plain.jdbcUrl());
    server.put("cachepipe.cdc.slot.name", plain.name());

    SidecarProcess.Result r = run(server, "cdc");

    assertOneLine(r, Main.FAILED)
        .contains("table public.posts has REPLICA IDENTITY DEFAULT")
        .contains("ALTER TABLE \"public\".\"posts\" REPLICA IDENTITY FULL;");
  }

  /** {@code run --stages STAGES} on the good configuration with {@code bad} on top. */
  private SidecarProcess.Result run(Map<String, String> bad, String stages) throws Exception {
    Path config = PipelineTestSettings.writeConfig(dir, "bad", good, bad);
    long start = System.nanoTime();
    SidecarProcess.Result r =
        SidecarProcess.run(
            dir,
            Map.of(),
            FAILS_WITHIN,
            "run",
            "--config",
            config.toString(),
            "--stages",
            stages,
            "--admin-port",
            "-1");
    System.out.printf(
        "bad config %s: exit %d after %d ms: %s%n",
        bad.keySet(), r.exit(), (System.nanoTime() - start) / 1_000_000, r.err().strip());
    return r;
  }

  /**
   * Asserts that the process failed with {@code exit}, printed nothing on stdout, and on stderr one
   * error line, its last, with no stack trace and no password; returns an assertion on that line.
   */
  private static org.assertj.core.api.AbstractStringAssert<?> assertOneLine(
      SidecarProcess.Result r, int exit) {
    assertThat(r.exit()).as(r.err()).isEqualTo(exit);
    assertThat(r.out()).isEmpty();
    List<String> lines = r.err().strip().lines().toList();
    assertThat(lines).as(r.err()).filteredOn(l -> l.startsWith("cachepipe: ")).hasSize(1);
    assertThat(r.err()).doesNotContain("\tat ", "Exception:", " ERROR ", PASSWORD);
    return assertThat(lines.get(lines.size() - 1)).startsWith("cachepipe: ");
  }
}
