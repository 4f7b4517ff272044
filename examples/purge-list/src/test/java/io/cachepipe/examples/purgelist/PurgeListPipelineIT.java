package io.cachepipe.examples.purgelist;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.client.WriteToken;
import io.cachepipe.consumer.InvalidationsConsumer;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.examples.purgelist.PurgeList.Purge;
import io.cachepipe.sidecar.Pipeline;
import io.cachepipe.sidecar.SidecarConfig;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The example against the whole pipeline (PostgreSQL, Debezium, Kafka, Redis and every stage): a
 * committed change is in the purge list once the consumer is caught up to the writer's commit.
 */
class PurgeListPipelineIT {

  private static final Duration WAIT = Duration.ofSeconds(60);

  private static Database db;
  private static Pipeline pipeline;
  private static InvalidationsConsumer consumer;
  private static final PurgeList list =
      new PurgeList(Map.of("user", "/users/{id}", "post", "/posts/{id}"));
  private static final CompletableFuture<Throwable> failure = new CompletableFuture<>();

  @BeforeAll
  static void start() throws Exception {
    db = TestServers.postgres().createDatabase("purge_list_it");
    Map<String, String> values = PipelineTestSettings.values(db, "purge-list");
    Settings settings = Settings.of(values);
    pipeline = Pipeline.start(settings, SidecarConfig.validate(settings), failure::complete);
    pipeline.capture().awaitStarted(WAIT);
    consumer =
        InvalidationsConsumer.builder()
            .bootstrapServers(TestServers.kafka().bootstrapServers())
            .groupId(values.get("cachepipe.cdc.name") + "-purge-list")
            .topic(settings.get(Topics.INVALIDATIONS))
            .deadLetterTopic(settings.get(Topics.DEAD_LETTER))
            .listener(list)
            .onFailure(failure::complete)
            .start();
  }

  @AfterAll
  static void stop() {
    if (consumer != null) {
      consumer.close();
    }
    if (pipeline != null) {
      pipeline.close();
    }
    assertThat(failure).as("neither the pipeline nor the consumer failed").isNotDone();
  }

  @Test
  void aCommittedChangeIsInThePurgeListOnceTheConsumerIsCaughtUpToIt() throws Exception {
    WriteToken token =
        write(
            "INSERT INTO users (id, name, email) VALUES (1, 'ann', 'ann@example.com'),"
                + " (2, 'bob', 'bob@example.com')",
            "INSERT INTO posts (id, author_id, title, body) VALUES (10, 1, 't', 'b')");

    assertThat(consumer.awaitCaughtUp(token.lsn(), WAIT)).isTrue();

    assertThat(list.pending()).contains("/users/1", "/users/2", "/posts/10");
    list.drain();
  }

  @Test
  void movingAPostBetweenAuthorsPurgesBothAuthorsPages() throws Exception {
    write(
        "INSERT INTO users (id, name, email) VALUES (3, 'cy', 'cy@example.com'),"
            + " (4, 'di', 'di@example.com')",
        "INSERT INTO posts (id, author_id, title, body) VALUES (30, 3, 't', 'b')");
    WriteToken before = write("SELECT 1");
    assertThat(consumer.awaitCaughtUp(before.lsn(), WAIT)).isTrue();
    list.drain();

    WriteToken moved = write("UPDATE posts SET author_id = 4 WHERE id = 30");

    assertThat(consumer.awaitCaughtUp(moved.lsn(), WAIT)).isTrue();
    assertThat(list.drain()).extracting(Purge::page).contains("/users/3", "/users/4", "/posts/30");
  }

  /** Runs {@code statements} in one transaction and returns the token of its commit. */
  private static WriteToken write(String... statements) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        for (String statement : statements) {
          st.execute(statement);
        }
      }
      return WriteToken.commit(c);
    }
  }
}
