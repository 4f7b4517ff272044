package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.cachepipe.client.CacheClient;
import io.cachepipe.client.NearCache;
import io.cachepipe.client.NearCacheOptions;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.json.Json;
import io.cachepipe.testing.PipelineTestSettings;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The race of {@link ConsistencyRaceIT} read through a client with the near cache on: after the
 * pipeline drained and the tier applied every invalidation, no entry the tier would serve may
 * differ from PostgreSQL. That the tier's fence is what keeps it so is shown where the interleaving
 * can be forced step by step rather than hoped for: {@code NearCacheIT}'s pair of tests, whose
 * fence-off twin leaves the old value served. (A fence-off twin of this race found stale entries
 * when run alone, but in the whole suite its readers, served from memory, seldom reached PostgreSQL
 * and the race did not happen within two minutes: timing is not evidence.)
 */
class NearCacheRaceIT {

  private static final long SEED = Long.getLong("cachepipe.race.seed", 20261125L);
  private static final int WRITES_EACH = 150;
  private static final Duration DRAIN = Duration.ofSeconds(90);

  /** What a run left in the tier. */
  private record Outcome(List<String> stale, long accepted, long refused) {}

  @Test
  void noStaleEntrySurvivesInTheNearCache() throws Exception {
    Outcome outcome = race("near_race_it");

    assertThat(outcome.stale()).as("stale near-cache entries with seed %d", SEED).isEmpty();
    assertThat(outcome.accepted()).as("fills the tier took").isPositive();
    assertThat(outcome.refused()).as("fills the tier's fence refused").isPositive();
  }

  private static Outcome race(String name) throws Exception {
    Database db = RaceWorkload.seededDatabase(name);
    Settings settings = PipelineTestSettings.of(db, name.replace('_', '-'));
    NearCacheOptions.Builder near =
        NearCacheOptions.builder(TestServers.kafka().bootstrapServers())
            .topic(settings.get(Topics.INVALIDATIONS))
            // A busy 2-core machine lags by seconds at times: the tier must still take part.
            .maxStaleness(Duration.ofSeconds(10));
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    try (Pipeline pipeline =
            Pipeline.start(settings, SidecarConfig.validate(settings), failure::complete);
        CacheClient cache =
            CacheClient.builder()
                .redisUri(TestServers.redis().uri())
                .nearCache(near.build())
                .build()) {
      pipeline.capture().awaitStarted(StageRestarts.STAGE_START);
      pipeline.awaitReady(StageRestarts.STAGE_START);
      RaceWorkload race =
          new RaceWorkload(SEED, db, RaceReader.fenced(cache), cache::watermark, WRITES_EACH);
      race.run(() -> {});
      assertThat(failure).as("no stage failed").isNotDone();

      NearCache tier = cache.nearCache().orElseThrow();
      long lsn = currentLsn(db);
      try (PipelineDrain drain = new PipelineDrain(settings, pipeline)) {
        RaceWorkload.sql(
            db, "UPDATE users SET updated_at = now() WHERE id = " + (RaceWorkload.AUTHORS + 1));
        drain.await(lsn, DRAIN);
      }
      await("the tier applied every change")
          .atMost(DRAIN)
          .until(() -> tier.caughtUpPosition() > lsn);
      List<String> stale = new ArrayList<>();
      int compared = compare(tier, db, stale);
      String stats = tier.stats().toString();
      System.out.printf(
          "near race: seed %d, fence %s: %s; tier %s; %d entries compared, %d stale%n",
          SEED, "on", race.figures(), stats, compared, stale.size());
      return new Outcome(stale, tier.stats().fillsAccepted(), tier.stats().fillsRefused());
    }
  }

  private static int compare(NearCache tier, Database database, List<String> stale)
      throws Exception {
    int compared = 0;
    try (Connection db = RaceWorkload.connect(database)) {
      for (RaceEntry entry : RaceEntry.values()) {
        for (int author = 1; author <= RaceWorkload.AUTHORS; author++) {
          String json = tier.peek(entry.key(author));
          if (json == null) {
            continue;
          }
          compared++;
          JsonNode cached = Json.mapper().readTree(json);
          JsonNode actual = Json.mapper().valueToTree(entry.load(db, author, 0));
          if (!RaceEntry.sameValues(cached, actual)) {
            stale.add(entry.key(author) + " held " + cached + " but database has " + actual);
          }
        }
      }
    }
    return compared;
  }

  private static long currentLsn(Database db) throws Exception {
    try (Connection c = RaceWorkload.connect(db);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
