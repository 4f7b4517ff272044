package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.cachepipe.client.CacheClient;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.json.Json;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The warmer under an eviction storm, through PostgreSQL, Debezium, Kafka and Redis: one statement
 * evicts the entries of {@link #USERS} users at once. Only those cached when evicted are
 * recomputed, and no faster than {@code cachepipe.warmer.max.recomputes.per.second}: each
 * recompute's query stamps the entry with PostgreSQL's clock, and the stamps are counted per
 * second.
 */
class WarmerStormIT {

  private static final int USERS = 40;

  /** Users whose entries are cached, then deleted before the storm (still in the tag registry). */
  private static final int GONE_FROM = 31;

  private static final int PER_SECOND = 10;

  @Test
  void onlyEntriesCachedWhenEvictedAreWarmedAndNoFasterThanTheRateLimit() throws Exception {
    Database db = TestServers.postgres().createDatabase("warmer_storm_it");
    sql(
        db,
        "INSERT INTO users (id, name, email) SELECT g, 'u' || g, 'u' || g || '@x'"
            + " FROM generate_series(1, "
            + USERS
            + ") g");
    Map<String, String> values = PipelineTestSettings.values(db, "warmer-storm");
    values.put("cachepipe.warm.stamp.key", "cp:stamp:{id}");
    values.put("cachepipe.warm.stamp.tags", "user:{id}");
    values.put(
        "cachepipe.warm.stamp.query",
        "SELECT CAST(:id AS text) AS id,"
            + " (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS at_us");
    values.put("cachepipe.warm.stamp.ttl.ms", "3600000");
    values.put("cachepipe.warmer.max.recomputes.per.second", Integer.toString(PER_SECOND));
    values.put("cachepipe.warmer.pool.size", "4");
    Settings settings = Settings.of(values);
    String redisUri = TestServers.redis().uri();
    TestServers.redis().flushAll();

    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    RedisClient inspector = RedisClient.create(redisUri);
    try (Pipeline pipeline =
            Pipeline.start(settings, SidecarConfig.validate(settings), failure::complete);
        CacheClient cache = CacheClient.create(redisUri);
        StatefulRedisConnection<String, String> connection = inspector.connect()) {
      pipeline.capture().awaitStarted(Duration.ofSeconds(60));
      pipeline.awaitReady(Duration.ofSeconds(60));
      RedisCommands<String, String> redis = connection.sync();
      for (int id = 1; id <= USERS; id++) {
        cache.get(
            key(id),
            List.of("user:" + id),
            Duration.ofHours(1),
            () -> Map.of("at_us", 0),
            Map.class);
      }
      for (int id = GONE_FROM; id <= USERS; id++) {
        redis.del(key(id)); // expired, say: its tag registry still names it
      }

      sql(db, "UPDATE users SET name = name || '!' WHERE id <= " + USERS);
      drain(settings, pipeline);

      assertThat(failure).as("no stage failed").isNotDone();
      int live = GONE_FROM - 1;
      // An entry is at times recomputed twice: by the invalidator's report in this process and by
      // the consumer that reads it back, when the consumer gets there first. So the count is a
      // floor; that an entry was not warmed shows in Redis, where a recompute would have filled it.
      assertThat(pipeline.warmer().stats().recomputes())
          .as("recomputes of the %d entries cached when evicted", live)
          .isGreaterThanOrEqualTo(live);
      for (int id = GONE_FROM; id <= USERS; id++) {
        assertThat(redis.get(key(id))).as("%s, not cached when evicted", key(id)).isNull();
      }
      List<Long> stamps = new ArrayList<>();
      for (int id = 1; id < GONE_FROM; id++) {
        JsonNode entry = Json.mapper().readTree(redis.get(key(id)));
        assertThat(entry.get("at_us").asLong()).as("%s recomputed", key(id)).isPositive();
        stamps.add(entry.get("at_us").asLong());
      }
      assertNoFasterThanTheLimit(stamps);
    } finally {
      inspector.shutdown();
    }
  }

  /**
   * A token bucket of {@link #PER_SECOND} a second with a second's burst allows the first {@code
   * PER_SECOND} at once and one every {@code 1/PER_SECOND} s after: the k-th recompute (from 0)
   * comes no sooner than {@code (k + 1 - PER_SECOND) / PER_SECOND} s after the first, less the
   * first query's own delay.
   */
  private static void assertNoFasterThanTheLimit(List<Long> stamps) {
    Collections.sort(stamps);
    long first = stamps.get(0);
    List<Integer> perSecond = new ArrayList<>();
    for (long stamp : stamps) {
      int second = (int) ((stamp - first) / 1_000_000);
      while (perSecond.size() <= second) {
        perSecond.add(0);
      }
      perSecond.set(second, perSecond.get(second) + 1);
    }
    System.out.println("warmer storm: recomputes per second from the first: " + perSecond);
    long slackMicros = 200_000;
    for (int k = PER_SECOND; k < stamps.size(); k++) {
      long earliest = first + (k + 1 - PER_SECOND) * 1_000_000L / PER_SECOND - slackMicros;
      assertThat(stamps.get(k))
          .as("recompute %d of %d, per second %s", k, stamps.size(), perSecond)
          .isGreaterThanOrEqualTo(earliest);
    }
  }

  private static void drain(Settings settings, Pipeline pipeline) throws Exception {
    try (PipelineDrain drain = new PipelineDrain(settings, pipeline)) {
      drain.awaitCommitted(Duration.ofSeconds(90));
    }
    await("the warmer's recomputes to finish")
        .atMost(Duration.ofSeconds(30))
        .until(() -> pipeline.warmer().stats().queued() == 0);
  }

  private static String key(int id) {
    return "cp:stamp:" + id;
  }

  private static void sql(Database db, String statement) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }
}
