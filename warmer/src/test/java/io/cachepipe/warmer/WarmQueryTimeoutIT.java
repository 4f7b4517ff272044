package io.cachepipe.warmer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.core.config.Settings;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Warm queries are bounded: one that hangs is cancelled by the statement timeout and skipped (its
 * entry stays evicted), and a batch slower than the consumer's poll interval is held while the
 * consumer keeps polling, never replayed onto the same slow database.
 */
class WarmQueryTimeoutIT {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int USERS = 6;

  private static Database db;

  @BeforeAll
  static void seed() throws Exception {
    db = TestServers.postgres().createDatabase("warm_timeout_it");
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute(
          "INSERT INTO users (id, name, email) SELECT g, 'user ' || g, 'u' || g || '@x'"
              + " FROM generate_series(1, "
              + USERS
              + ") g");
    }
  }

  @Test
  void aWarmQueryThatHangsIsCancelledSkippedAndCounted() throws Exception {
    Settings settings = settings("warm-hangs", "pg_sleep(600)", "500", "300000", "4");
    CompletableFuture<Throwable> failure = new CompletableFuture<>();

    try (Warmer warmer = Warmer.start(settings, failure::complete)) {
      report(settings, "warm-hangs");

      await("every hung recompute cancelled and skipped")
          .atMost(WAIT)
          .untilAsserted(() -> assertThat(warmer.stats().timedOut()).isEqualTo(USERS));
      assertThat(warmer.stats().failed()).isZero();
      assertThat(warmer.stats().warmed()).isZero();
      assertThat(warmer.trouble())
          .isEqualTo("warm queries of warm_hangs time out: 6 timeouts in the last minute");
      await("the batch is done and committed")
          .atMost(WAIT)
          .until(() -> committed(settings) == USERS);
    }
    assertThat(failure).isNotDone();
    try (RedisClient client = RedisClient.create(TestServers.redis().uri());
        StatefulRedisConnection<String, String> redis = client.connect()) {
      assertThat(redis.sync().exists("cp:warm-hangs:1")).as("the entry stays evicted").isZero();
    }
  }

  @Test
  void aBatchSlowerThanThePollIntervalIsHeldNotReplayed() throws Exception {
    // One connection, 1.5 s a query: the batch takes 9 s, over twice the poll interval.
    Settings settings = settings("warm-slow", "pg_sleep(1.5)", "5000", "4000", "1");
    CompletableFuture<Throwable> failure = new CompletableFuture<>();

    try (Warmer warmer = Warmer.start(settings, failure::complete)) {
      report(settings, "warm-slow");

      await("the warmer says the batch is held").atMost(WAIT).until(() -> warmer.trouble() != null);
      assertThat(warmer.trouble()).startsWith("waiting for the warm queries of a batch for ");
      await("every entry warmed")
          .atMost(WAIT)
          .untilAsserted(() -> assertThat(warmer.stats().warmed()).isEqualTo(USERS));
      await("the batch is committed").atMost(WAIT).until(() -> committed(settings) == USERS);
      assertThat(warmer.stats().recomputes())
          .as("each entry queried once: no replay")
          .isEqualTo(USERS);
      assertThat(warmer.trouble()).isNull();
    }
    assertThat(failure).isNotDone();
  }

  private static Settings settings(
      String name, String sleep, String timeoutMs, String maxPollMs, String pool) throws Exception {
    Map<String, String> values = PipelineTestSettings.values(db, name);
    values.put("cachepipe.topic.partitions", "1");
    values.put("cachepipe.warm.defaults", "none");
    String kind = "cachepipe.warm." + name.replace('-', '_') + ".";
    values.put(kind + "key", "cp:" + name + ":{id}");
    values.put(kind + "tags", "user:{id}");
    values.put(kind + "query", "SELECT name FROM users, " + sleep + " WHERE id = :id");
    values.put("cachepipe.warmer.statement.timeout.ms", timeoutMs);
    values.put("cachepipe.warmer.pool.size", pool);
    values.put("kafka.consumer.max.poll.interval.ms", maxPollMs);
    return Settings.of(values);
  }

  /** One eviction report per user, each finding its entry cached. */
  private static void report(Settings settings, String name) {
    List<byte[]> reports = new ArrayList<>();
    for (int user = 1; user <= USERS; user++) {
      reports.add(EvictionsTopic.liveKeyReport("cp:" + name + ":" + user, user));
    }
    EvictionsTopic.send(settings, reports);
  }

  private static long committed(Settings settings) throws Exception {
    return EvictionsTopic.committed(settings);
  }
}
