package io.cachepipe.warmer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.kafka.DeadLetters;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import io.cachepipe.testing.TopicRecords;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * An eviction report the warmer cannot read is dead-lettered with its bytes and the reason, the
 * batch is committed only once Kafka has the dead letter, and the reports after it are warmed.
 */
class UnreadableReportIT {

  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void anUnreadableReportIsDeadLetteredAndTheReportsAfterItAreWarmed() throws Exception {
    Database db = TestServers.postgres().createDatabase("warm_unreadable_it");
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute("INSERT INTO users (id, name, email) VALUES (1, 'ada', 'ada@x')");
    }
    Map<String, String> values = PipelineTestSettings.values(db, "warm-unreadable");
    values.put("cachepipe.topic.partitions", "1");
    values.put("cachepipe.warm.defaults", "none");
    values.put("cachepipe.warm.unreadable.key", "cp:unreadable:{id}");
    values.put("cachepipe.warm.unreadable.tags", "user:{id}");
    values.put("cachepipe.warm.unreadable.query", "SELECT name FROM users WHERE id = :id");
    Settings settings = Settings.of(values);
    byte[] garbage = "{\"v\":1,\"tag\":".getBytes(StandardCharsets.UTF_8);
    CompletableFuture<Throwable> failure = new CompletableFuture<>();

    try (Warmer warmer = Warmer.start(settings, failure::complete)) {
      EvictionsTopic.send(
          settings, List.of(garbage, EvictionsTopic.liveKeyReport("cp:unreadable:1", 1)));

      await("the readable report after it warmed")
          .atMost(WAIT)
          .untilAsserted(() -> assertThat(warmer.stats().warmed()).isEqualTo(1));
      await("both reports committed")
          .atMost(WAIT)
          .until(() -> EvictionsTopic.committed(settings) == 2);
      assertThat(warmer.stats().deadLettered()).isEqualTo(1);
    }
    assertThat(failure).isNotDone();

    List<ConsumerRecord<byte[], byte[]>> letters =
        TopicRecords.readUntil(
            TestServers.kafka().bootstrapServers(),
            Topics.from(settings).deadLetter(),
            "the dead letter",
            read -> !read.isEmpty(),
            WAIT);
    ConsumerRecord<byte[], byte[]> letter = letters.get(0);
    assertThat(letters).hasSize(1);
    assertThat(letter.value()).as("the original bytes").isEqualTo(garbage);
    assertThat(DeadLetters.header(letter.headers(), DeadLetters.STAGE)).isEqualTo("warmer");
    assertThat(DeadLetters.header(letter.headers(), DeadLetters.REASON))
        .startsWith("eviction report: not JSON");
    assertThat(DeadLetters.header(letter.headers(), DeadLetters.SOURCE))
        .isEqualTo(Topics.from(settings).evictions() + "/0@0");
    try (RedisClient client = RedisClient.create(TestServers.redis().uri());
        StatefulRedisConnection<String, String> redis = client.connect()) {
      assertThat(redis.sync().get("cp:unreadable:1")).isNotNull();
    }
  }
}
