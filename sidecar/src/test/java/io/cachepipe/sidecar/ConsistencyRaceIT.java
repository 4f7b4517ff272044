package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cachepipe.auditor.AuditResult;
import io.cachepipe.auditor.ConsistencyAuditor;
import io.cachepipe.client.CacheClient;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.json.Json;
import io.cachepipe.core.warm.WarmableEntry;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The promise: whatever the interleaving of readers, writers, the warmer and restarts, no stale
 * entry survives. Readers race writers on the entries of a few authors ({@link RaceWorkload}):
 * their stats, which the warmer recomputes after each eviction, and their posts, which nothing
 * warms. After the pipeline drained, every cached entry must equal PostgreSQL, entry by entry and,
 * for the user stats, by the {@link ConsistencyAuditor}.
 *
 * <p>The same race runs twice more: with readers that use a plain cache-aside instead of fenced
 * fills, where it must leave stale entries behind (so the test is known to be able to fail), and
 * while every stage is restarted. A fixed seed ({@code -Dcachepipe.race.seed=N} to change it; it is
 * printed) fixes the writes, the reads and the restarts, not the threads' timing.
 */
class ConsistencyRaceIT {

  private static final long SEED = Long.getLong("cachepipe.race.seed", 20261125L);
  private static final int WRITES_EACH = 150;

  /** Writes of each writer in the run with restarts. */
  private static final int RESTART_RUN_WRITES_EACH = 200;

  /** How readers fill the cache. */
  private enum Fences {
    /** Through {@link CacheClient#get}: a fill is dropped if a tag version moved. */
    ON,
    /** GET, load, SET and register, with no version check: the classic cache-aside. */
    OFF
  }

  /** What a run left behind, after the drain. */
  private record Outcome(List<String> stale, AuditResult audit, long fillsRejected) {}

  @Test
  void noStaleEntrySurvivesConcurrentReadersWritersAndTheWarmer() throws Exception {
    Outcome outcome = raceOnOnePipeline(Fences.ON, "race_it");

    assertThat(outcome.stale()).as("stale entries with seed %d", SEED).isEmpty();
    assertThat(outcome.audit().staleEntries())
        .as("stale entries the auditor found with seed %d", SEED)
        .isEmpty();
    assertRaceHappened(outcome);
  }

  /**
   * The control: the same race with readers that do not fence their fills must leave stale entries
   * behind. If it ever ends clean, the race no longer races, and the fenced run proves nothing.
   */
  @Test
  void withoutFencesTheSameRaceLeavesStaleEntries() throws Exception {
    Outcome outcome = raceOnOnePipeline(Fences.OFF, "race_unfenced_it");

    outcome.stale().forEach(s -> System.out.println("race: fences off, stale: " + s));
    assertThat(outcome.stale())
        .as("stale entries left by unfenced readers with seed %d", SEED)
        .isNotEmpty();
  }

  /**
   * The same race while the stages are restarted ({@link StageRestarts}): at seeded points the
   * invalidator and the warmer are restarted twice each, the cdc stage once, and once the cdc
   * stage's replication connection is killed.
   *
   * <p>The restarts are graceful closes ({@code Pipeline.close()}: Kafka Streams and the consumers
   * commit what they finished, Debezium stops after what Kafka acknowledged and captures the rest
   * again), as a process gets on SIGTERM; a warmer closed in the middle of a batch does not commit
   * it, and the next one warms it again. An abrupt stop of a Kafka client, without its commit,
   * cannot be done in-process through their public APIs. The one abrupt stop is the replication
   * connection's: its walsender is terminated in PostgreSQL (pg_terminate_backend), as when the
   * network or PostgreSQL drops it; Debezium reconnects by itself and streams again from the slot's
   * confirmed position.
   */
  @Test
  void noStaleEntrySurvivesRestartsOfEveryStage() throws Exception {
    Database db = RaceWorkload.seededDatabase("race_restarts_it");
    // Debezium waits retriable.restart.connector.wait.ms (10 s by default) before it reconnects
    // after losing its replication connection; 1 s keeps the run short.
    Settings settings =
        PipelineTestSettings.of(db, "race-restarts")
            .with("debezium.source.retriable.restart.connector.wait.ms", "1000");
    SidecarConfig.validate(settings);
    String redisUri = TestServers.redis().uri();

    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    try (StageRestarts stages = new StageRestarts(settings, failure::complete);
        CacheClient cache = CacheClient.create(redisUri);
        RedisView redis = new RedisView(redisUri)) {
      // Downstream first, as Pipeline starts them.
      stages.start(Stage.WARMER);
      stages.start(Stage.INVALIDATOR);
      stages.start(Stage.CDC);
      RaceWorkload race =
          new RaceWorkload(
              SEED, db, RaceReader.fenced(cache), cache::watermark, RESTART_RUN_WRITES_EACH);
      race.run(() -> stages.restartAtSeededPoints(SEED, race, db));
      assertThat(failure).as("no stage failed").isNotDone();
      assertThat(stages.done).as("restarts done").hasSize(StageRestarts.scheduled());

      try (PipelineDrain drain = new PipelineDrain(settings, stages.capture(), true)) {
        quiesce(db, drain);
      }
      Outcome outcome =
          outcome(
              settings,
              db,
              redis,
              cache,
              Fences.ON,
              race.figures()
                  + ", "
                  + stages.done.size()
                  + " restarts ["
                  + String.join("; ", stages.done)
                  + "], warmer fills "
                  + stages.warmed());

      assertThat(outcome.stale()).as("stale entries with seed %d", SEED).isEmpty();
      assertThat(outcome.audit().staleEntries())
          .as("stale entries the auditor found with seed %d", SEED)
          .isEmpty();
      assertRaceHappened(outcome);
    }
  }

  /** The race on one pipeline running every stage, drained afterwards. */
  private static Outcome raceOnOnePipeline(Fences fences, String name) throws Exception {
    Database db = RaceWorkload.seededDatabase(name);
    Settings settings = PipelineTestSettings.of(db, name.replace('_', '-'));
    String redisUri = TestServers.redis().uri();

    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    try (Pipeline pipeline =
            Pipeline.start(settings, SidecarConfig.validate(settings), failure::complete);
        CacheClient cache = CacheClient.create(redisUri);
        RedisView redis = new RedisView(redisUri)) {
      pipeline.capture().awaitStarted(StageRestarts.STAGE_START);
      pipeline.awaitReady(StageRestarts.STAGE_START);
      RaceReader reader =
          fences == Fences.ON ? RaceReader.fenced(cache) : RaceReader.unfenced(redis.commands);
      RaceWorkload race = new RaceWorkload(SEED, db, reader, cache::watermark, WRITES_EACH);
      race.run(() -> {});
      assertThat(failure).as("no stage failed").isNotDone();

      try (PipelineDrain drain = new PipelineDrain(settings, pipeline)) {
        quiesce(db, drain);
      }
      return outcome(settings, db, redis, cache, fences, race.figures() + ", no restart");
    }
  }

  /**
   * Not a vacuous pass: reads did race writes, and the fences dropped the losing fills (the last
   * write's race alone makes some). How many fills were written depends on the machine's speed: on
   * a fast one the writes keep every entry's tags moving through each 300 ms read, and none is.
   */
  private static void assertRaceHappened(Outcome outcome) {
    assertThat(outcome.fillsRejected()).as("fills dropped by a fence").isPositive();
  }

  /**
   * Compares every cached entry with PostgreSQL, and runs the consistency auditor for the warmable
   * user stats, with no grace period (nothing is in flight any more). Prints the run's figures.
   */
  private static Outcome outcome(
      Settings settings,
      Database db,
      RedisView redis,
      CacheClient cache,
      Fences fences,
      String figures)
      throws Exception {
    List<String> stale = new ArrayList<>();
    int compared = compareEveryEntry(redis, db, stale);
    AuditResult audit =
        new ConsistencyAuditor(
                redis.commands, () -> RaceWorkload.connect(db), WarmableEntry.from(settings))
            .auditAll(Duration.ZERO);
    System.out.printf(
        "race: seed %d, fences %s: %s; fills accepted %d, rejected %d; %d cached entries"
            + " compared, %d stale; audit: %d user_stats entries checked, %d stale%n",
        SEED,
        fences,
        figures,
        cache.stats().fillsAccepted(),
        cache.stats().fillsRejected(),
        compared,
        stale.size(),
        audit.checked(),
        audit.stale());
    return new Outcome(stale, audit, cache.stats().fillsRejected());
  }

  /** Waits until every change committed so far went through every stage. */
  private static void quiesce(Database db, PipelineDrain drain) throws Exception {
    long lsn;
    try (Connection c = RaceWorkload.connect(db);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")) {
      rs.next();
      lsn = rs.getLong(1);
    }
    // A change after all others, to a user no reader reads (so it evicts none of their entries).
    RaceWorkload.sql(
        db, "UPDATE users SET updated_at = now() WHERE id = " + (RaceWorkload.AUTHORS + 1));
    drain.await(lsn, Duration.ofSeconds(90));
  }

  /** Adds each cached entry that differs from PostgreSQL to {@code stale}; returns how many. */
  private static int compareEveryEntry(RedisView redis, Database database, List<String> stale)
      throws Exception {
    int compared = 0;
    try (Connection db = RaceWorkload.connect(database)) {
      for (RaceEntry entry : RaceEntry.values()) {
        for (String key : redis.keys(entry)) {
          String json = redis.commands.get(key);
          if (json == null) {
            continue;
          }
          compared++;
          long author = Long.parseLong(key.substring(key.lastIndexOf(':') + 1));
          JsonNode cached = Json.mapper().readTree(json);
          JsonNode actual = Json.mapper().valueToTree(entry.load(db, author, 0));
          if (!RaceEntry.sameValues(cached, actual)) {
            stale.add(key + " cached " + cached + " but database has " + actual);
          }
        }
      }
    }
    return compared;
  }

  /** A plain Redis connection for looking at the cache (and for the unfenced reader). */
  private static final class RedisView implements AutoCloseable {
    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    final RedisCommands<String, String> commands;

    RedisView(String uri) {
      client = RedisClient.create(uri);
      connection = client.connect();
      commands = connection.sync();
    }

    List<String> keys(RaceEntry entry) {
      List<String> keys = new ArrayList<>();
      ScanCursor cursor = ScanCursor.INITIAL;
      do {
        var page =
            commands.scan(
                cursor, ScanArgs.Builder.matches(entry.key(0).replace(":0", ":*")).limit(100));
        keys.addAll(page.getKeys());
        cursor = page;
      } while (!cursor.isFinished());
      return keys;
    }

    @Override
    public void close() {
      connection.close();
      client.shutdown();
    }
  }
}
