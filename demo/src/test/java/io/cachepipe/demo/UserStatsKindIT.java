package io.cachepipe.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.client.CacheClient;
import io.cachepipe.core.change.EvictionReport;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.kafka.KafkaClients;
import io.cachepipe.core.kafka.TopicCreator;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import io.cachepipe.warmer.Warmer;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The example's user_stats kind, as the warmer writes it, is what the demo application reads: its
 * {@link UserStats} record, through the cache-client, as a hit.
 */
class UserStatsKindIT {

  @Test
  void theWarmedUserStatsAreTheApplicationsUserStatsRecord() throws Exception {
    Database database = TestServers.postgres().createDatabase("user_stats_kind_it");
    TestServers.redis().flushAll();
    Settings settings = Settings.of(PipelineTestSettings.values(database, "user-stats-kind"));
    try (DemoDatabase db =
            new DemoDatabase(database.jdbcUrl(), database.user(), database.password(), 2);
        Connection c = db.connection();
        Statement st = c.createStatement()) {
      st.execute("INSERT INTO users (id, name, email) VALUES (1, 'a', 'a@x'), (2, 'b', 'b@x')");
      // Views whose sum is a numeric in PostgreSQL: a long in the record.
      st.execute(
          "INSERT INTO posts (author_id, title, view_count)"
              + " VALUES (1, 'p', 9000000000), (1, 'q', 7), (1, 'r', 1)");
      st.execute("UPDATE posts SET is_deleted = true WHERE title = 'r'");
      Topics topics = Topics.from(settings);
      TopicCreator.ensure(KafkaClients.shared(settings), topics);
      report(settings, topics, 1);
      report(settings, topics, 2); // no post: the aggregate's row of zeros

      CompletableFuture<Throwable> failure = new CompletableFuture<>();
      try (Warmer warmer = Warmer.start(settings, failure::complete);
          CacheClient cache = CacheClient.create(TestServers.redis().uri())) {
        await("both warmed")
            .atMost(Duration.ofSeconds(60))
            .untilAsserted(() -> assertThat(warmer.stats().warmed()).isEqualTo(2));
        for (long author = 1; author <= 2; author++) {
          UserStats read =
              cache.get(
                  CacheKeys.entry("user_stats", author),
                  List.of("user:" + author),
                  Duration.ofMinutes(5),
                  () -> {
                    throw new AssertionError("a warmed entry is a hit");
                  },
                  UserStats.class);
          assertThat(read).isEqualTo(db.userStats(author));
        }
        assertThat(db.userStats(1)).isEqualTo(new UserStats(2, 9_000_000_007L));
        assertThat(cache.stats().hits()).isEqualTo(2);
      }
      assertThat(failure).isNotDone();
    }
  }

  /** An eviction report that found the author's stats cached, as the invalidator writes it. */
  private static void report(Settings settings, Topics topics, long author) throws Exception {
    EvictionReport report =
        new EvictionReport(
            EvictionReport.SCHEMA_VERSION,
            "user:" + author,
            author,
            author,
            System.currentTimeMillis() * 1000,
            List.of(CacheKeys.entry("user_stats", author)),
            1,
            false);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            KafkaClients.shared(settings), new StringSerializer(), new ByteArraySerializer())) {
      producer
          .send(
              new ProducerRecord<>(
                  topics.evictions(), report.tag(), EvictionReport.CONTRACT.encode(report)))
          .get();
    }
  }
}
