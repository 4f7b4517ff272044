package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.client.CacheClient;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.RedisFixture;
import io.cachepipe.testing.ServerBackend;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets never leave the process. With recognisable passwords for PostgreSQL, Redis and Kafka, the
 * command line runs as an operator runs it (its own JVM, the shipped logback.xml, cachepipe's
 * loggers at DEBUG, text and JSON): config --print, a run that works, a wrong Redis password, an
 * unreachable PostgreSQL whose URL holds the password, db and audit failures, and a configuration
 * that run refuses. Nothing any of them writes, stdout or stderr, holds a secret.
 */
class SecretsStayHiddenIT {

  private static final String PG_SECRET = "S3cr3t-pg-XYZ";
  private static final String REDIS_SECRET = "S3cr3t-redis-XYZ";
  private static final String KAFKA_SECRET = "S3cr3t-kafka-XYZ";
  private static final String WRONG_REDIS_SECRET = "S3cr3t-wrong-XYZ";
  private static final String ADMIN_SECRET = "S3cr3t-admin-XYZ";
  private static final String KEY_SECRET = "S3cr3tPrivateKeyXYZ";
  private static final List<String> SECRETS =
      List.of(PG_SECRET, REDIS_SECRET, KAFKA_SECRET, WRONG_REDIS_SECRET, ADMIN_SECRET, KEY_SECRET);
  private static final Duration WAIT = Duration.ofSeconds(90);

  /** Requires {@link #REDIS_SECRET}. */
  private static RedisFixture redis;

  @TempDir Path dir;

  @BeforeAll
  static void startRedis() {
    redis = TestServers.redisRequiringPassword(REDIS_SECRET);
  }

  @AfterAll
  static void stopRedis() throws Exception {
    redis.close();
  }

  @Test
  void configPrintMasksEverySecretFromFileAndEnvironment() throws Exception {
    Path config =
        file(
            Map.of(
                "cachepipe.postgres.url",
                "jdbc:postgresql://db:5432/shop?sslmode=require&password=" + PG_SECRET,
                "cachepipe.redis.uri",
                "rediss://app:" + REDIS_SECRET + "@cache:6380",
                "kafka.security.protocol",
                "SASL_SSL",
                "kafka.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\""
                    + " password=\""
                    + KAFKA_SECRET
                    + "\";",
                "kafka.ssl.truststore.password",
                KAFKA_SECRET));

    SidecarProcess.Result r =
        run(
            env(
                "json",
                "CACHEPIPE_POSTGRES_PASSWORD",
                PG_SECRET,
                "CACHEPIPE_REDIS_PASSWORD",
                REDIS_SECRET),
            "config",
            "--print",
            "--config",
            config.toString());

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out().lines())
        .contains(
            "env      cachepipe.postgres.password=********",
            "env      cachepipe.redis.password=********",
            "file     cachepipe.redis.uri=rediss://app:********@cache:6380",
            "file     kafka.sasl.jaas.config=********");
    assertNoSecret(r);
  }

  /**
   * The paths that keep secrets out of argv: password files (options and keys), PGPASSWORD and
   * REDISCLI_AUTH, an admin token file; and values that were shown in part: a password holding a
   * ';' or a space, an inline PEM private key (kafka.ssl.keystore.key).
   */
  @Test
  void secretsFromFilesAndToolVariablesStayHidden() throws Exception {
    Path pgFile = secretFile("pg", PG_SECRET);
    Path wrongRedisFile = secretFile("redis", WRONG_REDIS_SECRET);
    Path tokenFile = secretFile("token", ADMIN_SECRET);
    String pem = "-----BEGIN PRIVATE KEY-----\n" + KEY_SECRET + "\n-----END PRIVATE KEY-----";
    Path config =
        file(
            Map.of(
                "cachepipe.postgres.password.file",
                pgFile.toString(),
                "cachepipe.admin.token.file",
                tokenFile.toString(),
                "cachepipe.redis.uri",
                redis.uri(),
                "kafka.bootstrap.servers",
                TestServers.kafka().bootstrapServers(),
                "kafka.ssl.keystore.key",
                pem,
                "kafka.sasl.jaas.config",
                "PlainLoginModule required username=\"u\" password=\"a;b " + KAFKA_SECRET + "\";"));

    SidecarProcess.Result print =
        run(
            env("json", "REDISCLI_AUTH", REDIS_SECRET, "PGPASSWORD", "unused-" + PG_SECRET),
            "config",
            "--print",
            "--config",
            config.toString());
    SidecarProcess.Result audit =
        run(
            env("text"),
            "audit",
            "--config",
            config.toString(),
            "--redis-password-file",
            wrongRedisFile.toString());
    SidecarProcess.Result health =
        run(
            env("text", "PGPASSWORD", PG_SECRET),
            "db",
            "health",
            "--pg-url",
            "jdbc:postgresql://127.0.0.1:1/shop?connectTimeout=2",
            "--pg-password-file",
            pgFile.toString());

    assertThat(print.exit()).as(print.err()).isZero();
    assertThat(print.out().lines())
        .contains(
            "default  cachepipe.redis.password=********",
            "file     cachepipe.postgres.password.file=" + pgFile,
            "file     cachepipe.admin.token.file=" + tokenFile,
            "file     kafka.ssl.keystore.key=********",
            "file     kafka.sasl.jaas.config=********");
    assertThat(print.out()).doesNotContain("cachepipe.postgres.password=********");
    for (SidecarProcess.Result failed : List.of(audit, health)) {
      assertThat(failed.exit()).as(failed.err()).isEqualTo(Main.FAILED);
      assertThat(failed.err().strip().lines()).as(failed.err()).hasSize(1);
    }
    assertThat(audit.err()).contains("WRONGPASS");
    for (SidecarProcess.Result r : List.of(print, audit, health)) {
      assertNoSecret(r);
    }
  }

  private Path secretFile(String name, String secret) throws Exception {
    Path file = dir.resolve(name + ".secret");
    Files.writeString(file, secret + "\n");
    return file;
  }

  @Test
  void aRunThatWorksLogsNoSecret() throws Exception {
    Database db = TestServers.postgres().createDatabase("secrets_it");
    // The local PostgreSQL accepts any password; a container's wants its own.
    String pgPassword = TestServers.backend() == ServerBackend.LOCAL ? PG_SECRET : db.password();
    Settings settings =
        PipelineTestSettings.of(db, "secrets").with(Connections.REDIS_URI.name(), redis.uri());
    Path config = file(without(settings, Connections.POSTGRES_PASSWORD.name()));
    sql(db, "INSERT INTO users (id, name, email) VALUES (1, 'ada', 'ada@example.com')");
    String authenticated =
        Connections.from(settings.with(Connections.REDIS_PASSWORD.name(), REDIS_SECRET)).redisUri();

    SidecarProcess run =
        SidecarProcess.start(
            dir,
            env(
                "json",
                "CACHEPIPE_POSTGRES_PASSWORD",
                pgPassword,
                "CACHEPIPE_REDIS_PASSWORD",
                REDIS_SECRET),
            "run",
            "--config",
            config.toString());
    RedisClient inspector = RedisClient.create(authenticated);
    try (CacheClient cache = CacheClient.create(authenticated);
        StatefulRedisConnection<String, String> connection = inspector.connect()) {
      String key = CacheKeys.entry("user", 1);
      await("the run evicts what a commit changed")
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                assertThat(run.isAlive()).as("run is alive: %s", run.err()).isTrue();
                cache.get(
                    key, List.of("user:1"), Duration.ofHours(1), () -> Map.of("id", 1), Map.class);
                sql(db, "UPDATE users SET name = 'ada " + System.nanoTime() + "' WHERE id = 1");
                try {
                  await()
                      .atMost(Duration.ofSeconds(5))
                      .until(() -> connection.sync().exists(key) == 0);
                  return true;
                } catch (ConditionTimeoutException notYet) {
                  return false;
                }
              });
    } finally {
      inspector.shutdown();
    }
    SidecarProcess.Result r = run.stop(Duration.ofSeconds(30));

    assertThat(r.err().lines())
        .as("JSON log lines")
        .isNotEmpty()
        .allSatisfy(line -> assertThat(line).startsWith("{").endsWith("}"));
    assertNoSecret(r);
  }

  @Test
  void aWrongRedisPasswordIsOneLineWithoutIt() throws Exception {
    Path config =
        file(
            Map.of(
                "cachepipe.redis.uri",
                redis.uri(),
                "kafka.bootstrap.servers",
                TestServers.kafka().bootstrapServers()));

    SidecarProcess.Result r =
        run(
            env("text", "CACHEPIPE_REDIS_PASSWORD", WRONG_REDIS_SECRET),
            "run",
            "--config",
            config.toString());

    assertThat(r.exit()).as(r.err()).isEqualTo(Main.FAILED);
    assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
    assertThat(r.err()).contains("WRONGPASS");
    assertNoSecret(r);
  }

  @Test
  void anUnreachablePostgresWhoseUrlHoldsThePasswordFailsWithoutIt() throws Exception {
    Path config =
        file(
            Map.of(
                "cachepipe.postgres.url",
                "jdbc:postgresql://127.0.0.1:1/shop?user=app&password=" + PG_SECRET,
                "cachepipe.postgres.password",
                PG_SECRET,
                "cachepipe.redis.uri",
                redis.uri().replace("redis://", "redis://default:" + WRONG_REDIS_SECRET + "@"),
                "kafka.bootstrap.servers",
                TestServers.kafka().bootstrapServers(),
                "kafka.sasl.jaas.config",
                "PlainLoginModule required password=\"" + KAFKA_SECRET + "\";"));
    Map<String, String> env = env("text");

    SidecarProcess.Result cdc = run(env, "run", "--stages", "cdc", "--config", config.toString());
    SidecarProcess.Result health = run(env, "db", "health", "--config", config.toString());
    SidecarProcess.Result audit = run(env, "audit", "--config", config.toString());

    for (SidecarProcess.Result r : List.of(cdc, health, audit)) {
      assertThat(r.exit()).as(r.err()).isEqualTo(Main.FAILED);
      assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
      assertNoSecret(r);
    }
    assertThat(cdc.err()).contains("127.0.0.1:1/shop?user=app&password=********");
    assertThat(health.err()).contains("127.0.0.1:1/shop?user=app&password=********");
    assertThat(audit.err()).contains("redis://default:********@").contains("WRONGPASS");
  }

  @Test
  void aConfigurationRunRefusesIsNamedByKeyNotBySecret() throws Exception {
    Path typo = file(Map.of("cachepipe.redis.passwort", REDIS_SECRET));
    Path badUri = file(Map.of("cachepipe.redis.uri", "http://app:" + REDIS_SECRET + "@cache:6379"));

    SidecarProcess.Result r1 = run(env("json"), "run", "--config", typo.toString());
    SidecarProcess.Result r2 = run(env("text"), "run", "--config", badUri.toString());

    assertThat(r1.exit()).isEqualTo(Main.BAD_CONFIG);
    assertThat(r1.err())
        .isEqualToIgnoringNewLines(
            "cachepipe: configuration error: cachepipe.redis.passwort: unknown key; did you mean"
                + " cachepipe.redis.password?");
    assertThat(r2.exit()).isEqualTo(Main.BAD_CONFIG);
    assertThat(r2.err()).contains("cachepipe.redis.uri: expected a URL starting with redis://");
    assertNoSecret(r1);
    assertNoSecret(r2);
  }

  private static void assertNoSecret(SidecarProcess.Result r) {
    for (String secret : SECRETS) {
      assertThat(r.all()).as("output holds no secret").doesNotContain(secret);
    }
  }

  private SidecarProcess.Result run(Map<String, String> env, String... args) throws Exception {
    return SidecarProcess.run(dir, env, WAIT, args);
  }

  /** cachepipe's loggers at DEBUG in {@code format}, and {@code more} variables. */
  private static Map<String, String> env(String format, String... more) {
    Map<String, String> env = new HashMap<>();
    env.put("CACHEPIPE_LOG_LEVEL", "DEBUG");
    env.put("CACHEPIPE_LOG_FORMAT", format);
    for (int i = 0; i < more.length; i += 2) {
      env.put(more[i], more[i + 1]);
    }
    return env;
  }

  private Path file(Map<String, String> values) throws Exception {
    Path file = Files.createTempFile(dir, "cachepipe-", ".properties");
    Files.writeString(
        file,
        values.entrySet().stream()
            .map(e -> e.getKey() + "=" + e.getValue().replace("\\", "\\\\").replace("\n", "\\n"))
            .collect(Collectors.joining("\n")));
    return file;
  }

  private static Map<String, String> without(Settings settings, String key) {
    Map<String, String> values = new HashMap<>();
    settings.keys().stream()
        .filter(k -> !k.equals(key))
        .forEach(k -> values.put(k, settings.raw(k)));
    return values;
  }

  private static void sql(Database db, String statement) throws Exception {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }
}
