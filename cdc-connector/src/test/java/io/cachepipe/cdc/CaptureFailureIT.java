package io.cachepipe.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cachepipe.core.config.Settings;
import io.cachepipe.servers.LocalPostgres;
import io.cachepipe.testing.PostgresFixture;
import io.cachepipe.testing.TestServers;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The cdc-connector fails fast and says why: it never starts half-working or hangs. */
class CaptureFailureIT {

  @Test
  void serverWithoutLogicalWalLevelIsRefusedWithTheFix() {
    try (LocalPostgres replicaOnly = LocalPostgres.start(Map.of("wal_level", "replica"))) {
      Map<String, String> settings = settings("wal_level_it");
      settings.put("cachepipe.postgres.url", replicaOnly.jdbcUrl());
      settings.put("cachepipe.postgres.user", replicaOnly.user());
      settings.put("cachepipe.postgres.password", replicaOnly.password());

      assertThatThrownBy(() -> ChangeCapture.start(Settings.of(settings), e -> {}))
          .isInstanceOf(CdcException.class)
          .hasMessageContaining("wal_level is 'replica'")
          .hasMessageContaining("ALTER SYSTEM SET wal_level = logical");
    }
  }

  @Test
  void engineThatFailsReportsItInsteadOfHanging() throws Exception {
    PostgresFixture.Database db = TestServers.postgres().createDatabase("engine_failure_it");
    Map<String, String> settings = settings(db.name());
    settings.put("cachepipe.postgres.url", db.jdbcUrl());
    settings.put("cachepipe.postgres.user", db.user());
    settings.put("cachepipe.postgres.password", db.password());
    // A logical decoding plugin this server does not have: Debezium fails creating the slot.
    settings.put("debezium.source.plugin.name", "decoderbufs");
    CompletableFuture<Throwable> failure = new CompletableFuture<>();

    try (ChangeCapture capture = ChangeCapture.start(Settings.of(settings), failure::complete)) {
      Throwable reported = failure.get(60, TimeUnit.SECONDS);
      assertThat(reported)
          .isInstanceOf(CdcException.class)
          .hasMessageContaining("capture engine stopped");
      assertThat(capture.isStreaming()).isFalse();
      assertThatThrownBy(() -> capture.awaitStarted(Duration.ofSeconds(1)))
          .isInstanceOf(CdcException.class)
          .hasMessageContaining("capture did not start");
    }
  }

  @Test
  void tagRuleNamingAColumnTheTableLacksIsRefusedNamingRuleTableAndColumn() {
    PostgresFixture.Database db = TestServers.postgres().createDatabase("rule_columns_it");
    Map<String, String> settings = settings(db.name());
    settings.put("cachepipe.postgres.url", db.jdbcUrl());
    settings.put("cachepipe.postgres.user", db.user());
    settings.put("cachepipe.postgres.password", db.password());
    settings.put("cachepipe.rule.byowner.table", "posts");
    settings.put("cachepipe.rule.byowner.tag", "user:{owner_id}");

    assertThatThrownBy(() -> ChangeCapture.start(Settings.of(settings), e -> {}))
        .isInstanceOf(CdcException.class)
        .hasMessageContaining("cachepipe.rule.byowner")
        .hasMessageContaining("'owner_id'")
        .hasMessageContaining("public.posts");
  }

  private static Map<String, String> settings(String name) {
    String prefix = TestServers.kafka().uniqueTopicPrefix(name);
    Map<String, String> s = new HashMap<>();
    s.put("kafka.bootstrap.servers", TestServers.kafka().bootstrapServers());
    // A missing slot is created and the cache flushed before the engine streams.
    s.put("cachepipe.redis.uri", TestServers.redis().uri());
    s.put("cachepipe.topic.changes", prefix + ".changes");
    s.put("cachepipe.topic.invalidations", prefix + ".invalidations");
    s.put("cachepipe.topic.evictions", prefix + ".evictions");
    s.put("cachepipe.topic.dead.letter", prefix + ".dead-letter");
    s.put("cachepipe.topic.partitions", "1");
    s.put("cachepipe.cdc.slot.name", name);
    s.put("cachepipe.cdc.offsets.topic", prefix + ".offsets");
    s.put("cachepipe.cdc.name", prefix);
    return s;
  }
}
