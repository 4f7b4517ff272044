package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.client.CacheClient;
import io.cachepipe.client.WriteToken;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.json.Json;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import io.cachepipe.warmer.Warmer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Two warmer instances in one consumer group share the evictions by partition: every evicted live
 * entry is recomputed once, by the instance that owns its tag's partition, never by both.
 */
class WarmerScaleOutIT {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int AUTHORS = 12;

  @Test
  void twoWarmersShareTheWorkAndWarmEachEvictedEntryOnce() throws Exception {
    Database db = TestServers.postgres().createDatabase("warmer_scale_out_it");
    Settings settings = PipelineTestSettings.of(db, "warmer-scale-out");
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    TestServers.redis().flushAll();
    try (Pipeline pipeline =
            Pipeline.start(settings, EnumSet.of(Stage.CDC, Stage.INVALIDATOR), failure::complete);
        Warmer first = Warmer.start(settings, failure::complete);
        Warmer second = Warmer.start(settings, failure::complete);
        CacheClient cache = CacheClient.create(TestServers.redis().uri())) {
      pipeline.awaitReady(WAIT);
      await("both warmers joined the group")
          .atMost(WAIT)
          .until(() -> first.isReady() && second.isReady());
      sql(
          db,
          "INSERT INTO users (id, name, email) SELECT g, 'u' || g, 'u' || g || '@x'"
              + " FROM generate_series(1, "
              + AUTHORS
              + ") g");
      sql(
          db,
          "INSERT INTO posts (id, author_id, title, view_count) SELECT g, g, 'p', 1"
              + " FROM generate_series(1, "
              + AUTHORS
              + ") g");
      // The seed's own evictions go first, so the entries cached next are not dropped by them.
      WriteToken seeded;
      try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
        seeded = WriteToken.afterCommit(c);
      }
      await("the seed's evictions").atMost(WAIT).until(() -> cache.watermark() >= seeded.lsn());
      for (int author = 1; author <= AUTHORS; author++) {
        long a = author;
        cache.get(
            CacheKeys.entry("user_stats", a),
            List.of("user:" + a),
            Duration.ofHours(1),
            () -> Map.of("post_count", 1, "total_views", 1),
            Map.class);
      }
      long before = first.stats().warmed() + second.stats().warmed();

      sql(db, "UPDATE posts SET view_count = view_count + 100");

      await("every author's stats warmed again")
          .atMost(WAIT)
          .until(() -> first.stats().warmed() + second.stats().warmed() - before >= AUTHORS);
      RedisClient client = RedisClient.create(TestServers.redis().uri());
      try (StatefulRedisConnection<String, String> redis = client.connect()) {
        await("the warmed values are PostgreSQL's")
            .atMost(WAIT)
            .untilAsserted(
                () -> {
                  for (int author = 1; author <= AUTHORS; author++) {
                    String json = redis.sync().get(CacheKeys.entry("user_stats", author));
                    assertThat(json).as("user_stats:%d", author).isNotNull();
                    Map<?, ?> value = Json.mapper().readValue(json, Map.class);
                    assertThat(((Number) value.get("total_views")).longValue()).isEqualTo(101);
                  }
                });
      } finally {
        client.shutdown();
      }
      System.out.printf(
          "warmer scale-out: first warmed %d, second %d (of %d evicted live entries)%n",
          first.stats().warmed(), second.stats().warmed(), AUTHORS);
      assertThat(first.stats().warmed()).as("the first instance took a share").isPositive();
      assertThat(second.stats().warmed()).as("the second instance took a share").isPositive();
      assertThat(first.stats().warmed() + second.stats().warmed() - before)
          .as("no entry was warmed by both")
          .isEqualTo(AUTHORS);
      assertThat(failure).isNotDone();
    }
  }

  private static void sql(Database db, String statement) throws Exception {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }
}
