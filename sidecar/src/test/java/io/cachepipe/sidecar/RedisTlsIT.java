package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.client.CacheClient;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.RedisTls;
import io.cachepipe.core.json.Json;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.redis.RedisConnector;
import io.cachepipe.redis.RedisSession;
import io.cachepipe.servers.LocalRedis;
import io.cachepipe.servers.TestCertificates;
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
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redis over TLS: a real redis-server that speaks only TLS ({@code --port 0 --tls-port}), with a
 * certificate of a throwaway CA. The cache-client and {@code cachepipe run} connect with {@code
 * rediss://} and a trust store holding that CA (a PEM file, a PKCS12 trust store with a password):
 * the invalidator evicts and the warmer fills over TLS; without the CA, {@code run} stops in one
 * line that says the TLS handshake failed and which key fixes it, and quotes no secret.
 */
class RedisTlsIT {

  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String STORE_PASSWORD = "S3cr3t-store-TLS";

  private static LocalRedis redis;
  private static TestCertificates certificates;

  @TempDir Path dir;

  @BeforeAll
  static void startTlsRedis() {
    redis = LocalRedis.builder().tls().start();
    certificates = redis.certificates().orElseThrow();
  }

  @AfterAll
  static void stopRedis() {
    if (redis != null) {
      redis.close();
    }
  }

  @Test
  void theCacheClientReadsThroughRedisOverTlsTrustingThePemCa() {
    assertThat(redis.uri()).startsWith("rediss://");
    RedisTls tls = new RedisTls(certificates.caCertificate().toString(), "");
    try (CacheClient cache =
        CacheClient.builder()
            .redisUri(redis.uri())
            .tls(tls)
            .commandTimeout(Duration.ofSeconds(5))
            .build()) {
      String key = CacheKeys.entry("tls", 1);
      cache.get(key, List.of("tls:1"), Duration.ofMinutes(1), () -> Map.of("v", 1), Map.class);
      Map<?, ?> second =
          cache.get(key, List.of("tls:1"), Duration.ofMinutes(1), () -> Map.of("v", 2), Map.class);

      assertThat(second.get("v")).as("the cached value").isEqualTo(1);
      assertThat(cache.stats().hits()).as("the second read was a hit over TLS").isEqualTo(1);
    }
  }

  @Test
  void runEvictsAndWarmsOverTlsWithAPkcs12TrustStore() throws Exception {
    Path store = pkcs12TrustStore();
    Database db = TestServers.postgres().createDatabase("redis_tls_it");
    Map<String, String> values = PipelineTestSettings.values(db, "redis-tls");
    Path config =
        PipelineTestSettings.writeConfig(
            dir,
            "tls",
            values,
            Map.of(
                Connections.REDIS_URI.name(), redis.uri(),
                RedisTls.TRUSTSTORE_PATH.name(), store.toString()));
    sql(db, "INSERT INTO users (id, name, email) VALUES (1, 'ada', 'ada@example.com')");
    sql(db, "INSERT INTO posts (id, author_id, title, view_count) VALUES (1, 1, 'hello', 7)");
    SidecarProcess run =
        SidecarProcess.start(
            dir.resolve("run"),
            Map.of("CACHEPIPE_REDIS_TLS_TRUSTSTORE_PASSWORD", STORE_PASSWORD),
            "run",
            "--config",
            config.toString(),
            "--admin-port",
            "-1");
    RedisTls tls = new RedisTls(store.toString(), STORE_PASSWORD);
    RedisConnector inspector = RedisConnector.builder().redisUri(redis.uri()).tls(tls).build();
    try (CacheClient cache =
            CacheClient.builder()
                .redisUri(redis.uri())
                .tls(tls)
                .commandTimeout(Duration.ofSeconds(5))
                .build();
        RedisSession connection = inspector.connect()) {
      String key = CacheKeys.entry("user", 1);
      // Until the connector streams, a commit may go unseen: cache and commit again until evicted.
      await("run evicts over TLS (see " + dir + ")")
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                assertThat(run.isAlive()).as("run is alive: %s", run.output()).isTrue();
                cache.get(
                    key, List.of("user:1"), Duration.ofHours(1), () -> Map.of("id", 1), Map.class);
                assertThat(connection.commands().exists(key)).as("cached over TLS").isEqualTo(1);
                sql(db, "UPDATE users SET name = 'ada " + System.nanoTime() + "' WHERE id = 1");
                return awaitGone(connection, key);
              });

      String stats = CacheKeys.entry("user_stats", 1);
      // A wrong value, filled through the fenced path: only an eviction and a warm replace it.
      cache.get(
          stats,
          List.of("user:1"),
          Duration.ofHours(1),
          () -> Map.of("post_count", 99, "total_views", 99),
          Map.class);
      await("the warmer recomputes the evicted stats and fills them over TLS")
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(500))
          .until(
              () -> {
                sql(db, "UPDATE users SET name = 'ada " + System.nanoTime() + "' WHERE id = 1");
                String value = connection.commands().get(stats);
                return value != null
                    && Json.mapper().readTree(value).get("post_count").asInt() == 1;
              });
      assertThat(
              Json.mapper().readTree(connection.commands().get(stats)).get("total_views").asInt())
          .isEqualTo(7);
      assertThat(run.output()).doesNotContain(STORE_PASSWORD);
    } finally {
      inspector.close();
      SidecarProcess.Result stopped = run.stop(Duration.ofSeconds(30));
      assertThat(stopped.all()).doesNotContain(STORE_PASSWORD);
    }
  }

  @Test
  void withoutTheCaRunStopsInOneLineNamingTheTlsFailureAndTheKeyThatFixesIt() throws Exception {
    Database db = TestServers.postgres().createDatabase("redis_tls_untrusted_it");
    Path config =
        PipelineTestSettings.writeConfig(
            dir,
            "untrusted",
            PipelineTestSettings.values(db, "redis-tls-untrusted"),
            Map.of(Connections.REDIS_URI.name(), redis.uri()));

    SidecarProcess.Result r =
        SidecarProcess.run(
            dir,
            Map.of("CACHEPIPE_REDIS_PASSWORD", STORE_PASSWORD),
            WAIT,
            "run",
            "--config",
            config.toString(),
            "--admin-port",
            "-1");

    assertThat(r.exit()).as(r.err()).isEqualTo(Main.FAILED);
    assertThat(r.err().strip().lines()).as(r.err()).hasSize(1);
    assertThat(r.err())
        .startsWith(
            "cachepipe: cannot connect to Redis at rediss://:********@127.0.0.1:" + redis.port())
        .contains("TLS handshake failed")
        .contains("certificate")
        .contains(RedisTls.TRUSTSTORE_PATH.name())
        .doesNotContain(STORE_PASSWORD);
  }

  /** Waits up to 5 s for {@code key} to be evicted; false if it is still there. */
  private static boolean awaitGone(RedisSession connection, String key) {
    try {
      await().atMost(Duration.ofSeconds(5)).until(() -> connection.commands().exists(key) == 0);
      return true;
    } catch (ConditionTimeoutException notYet) {
      return false;
    }
  }

  /** The test CA in a PKCS12 trust store with a password, made by the JDK's keytool. */
  private Path pkcs12TrustStore() throws Exception {
    Path store = dir.resolve("redis-truststore.p12");
    Process keytool =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-importcert",
                "-noprompt",
                "-alias",
                "test-ca",
                "-file",
                certificates.caCertificate().toString(),
                "-keystore",
                store.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                STORE_PASSWORD)
            .redirectErrorStream(true)
            .start();
    String output = new String(keytool.getInputStream().readAllBytes());
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).as(output).isZero();
    return store;
  }

  private static void sql(Database db, String statement) throws Exception {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }
}
