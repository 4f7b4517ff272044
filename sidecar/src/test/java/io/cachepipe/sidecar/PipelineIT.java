package io.cachepipe.sidecar;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cachepipe.client.CacheClient;
import io.cachepipe.client.WriteToken;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.json.Json;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The whole path on real PostgreSQL, Kafka and Redis: a committed change evicts its entries. */
class PipelineIT {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration LONG_TTL = Duration.ofHours(1);

  private static Database db;
  private static Settings settings;
  private static Pipeline pipeline;
  private static CacheClient cache;
  private static RedisClient redisClient;
  private static StatefulRedisConnection<String, String> redisConnection;
  private static RedisCommands<String, String> redis;
  private static final CompletableFuture<Throwable> failure = new CompletableFuture<>();

  @BeforeAll
  static void startPipeline() throws Exception {
    db = TestServers.postgres().createDatabase("pipeline_it");
    String redisUri = TestServers.redis().uri();
    TestServers.redis().flushAll();
    Map<String, String> values = PipelineTestSettings.values(db, "pipeline");
    // No marker on the clock within the test: a reader's token alone must bring the watermark.
    values.put("cachepipe.cdc.watermark.interval.ms", "600000");
    settings = Settings.of(values);
    pipeline = Pipeline.start(settings, SidecarConfig.validate(settings), failure::complete);
    pipeline.capture().awaitStarted(Duration.ofSeconds(60));
    cache = CacheClient.create(redisUri);
    redisClient = RedisClient.create(redisUri);
    redisConnection = redisClient.connect();
    redis = redisConnection.sync();
    // Each test has users of its own: tests must not see each other's evictions.
    sql(
        "INSERT INTO users (id, name, email)"
            + " SELECT g, 'user ' || g, 'user' || g || '@example.com' FROM generate_series(1, 8) g");
    await("the seed's evictions")
        .atMost(WAIT)
        .until(() -> pipeline.invalidator().metrics().evictions() >= 8);
  }

  @AfterAll
  static void stopPipeline() {
    if (pipeline != null) {
      pipeline.close();
    }
    if (cache != null) {
      cache.close();
    }
    if (redisConnection != null) {
      redisConnection.close();
      redisClient.shutdown();
    }
    assertThat(failure).as("no stage failed").isNotDone();
  }

  @Test
  void insertingAPostEvictsItsAuthorAndThePostKey() throws Exception {
    String author = cacheEntry("user", 1, "user:1");
    String post = cacheEntry("post", 101, "post:101"); // e.g. a cached "not found"
    String otherAuthor = cacheEntry("user", 8, "user:8"); // no test writes user 8

    sql("INSERT INTO posts (id, author_id, title) VALUES (101, 1, 'hello')");

    awaitEvicted(author, post);
    assertThat(redis.exists(otherAuthor)).as("an unrelated author stays cached").isEqualTo(1);
  }

  @Test
  void updatingAndDeletingAPostEvictItsEntries() throws Exception {
    changeAndAwaitItsEvictions(
        "INSERT INTO posts (id, author_id, title) VALUES (102, 2, 'draft')", 2);
    String author = cacheEntry("user", 2, "user:2");
    String post = cacheEntry("post", 102, "post:102");
    sql("UPDATE posts SET view_count = view_count + 10 WHERE id = 102");
    awaitEvicted(author, post);

    author = cacheEntry("user", 2, "user:2");
    post = cacheEntry("post", 102, "post:102");
    sql("DELETE FROM posts WHERE id = 102");
    awaitEvicted(author, post);
  }

  @Test
  void movingAPostBetweenAuthorsEvictsBothAuthors() throws Exception {
    changeAndAwaitItsEvictions(
        "INSERT INTO posts (id, author_id, title) VALUES (103, 3, 'moving')", 2);
    String from = cacheEntry("user", 3, "user:3");
    String to = cacheEntry("user", 5, "user:5");

    sql("UPDATE posts SET author_id = 5 WHERE id = 103");

    awaitEvicted(from, to);
  }

  @Test
  void updatingAUserEvictsTheUser() throws Exception {
    String user = cacheEntry("user", 6, "user:6");

    sql("UPDATE users SET name = 'renamed' WHERE id = 6");

    awaitEvicted(user);
  }

  @Test
  void warmerLeavesFreshStatsBehindAfterAWrite() throws Exception {
    changeAndAwaitItsEvictions(
        "INSERT INTO posts (id, author_id, title, view_count) VALUES (104, 7, 'stats', 5)", 2);
    String key = CacheKeys.entry("user_stats", 7);
    // Make the entry live (cached), as a reader would.
    cache.get(key, List.of("user:7"), LONG_TTL, () -> statsOf(7), Map.class);
    assertThat(redis.exists(key)).as("the stats are cached").isEqualTo(1);
    long warmedBefore = pipeline.warmer().warmed();
    long startedFromReportsBefore = pipeline.warmer().startedFromReports();

    sql("UPDATE posts SET view_count = view_count + 1000 WHERE id = 104");

    await("the warmer refills the stats")
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              String state =
                  String.format(
                      "warmed %d (before %d), failed %d, abandoned %d, cached %s, database %s",
                      pipeline.warmer().warmed(),
                      warmedBefore,
                      pipeline.warmer().failed(),
                      pipeline.warmer().abandoned(),
                      redis.get(key),
                      statsOf(7));
              assertThat(pipeline.warmer().warmed()).as(state).isGreaterThan(warmedBefore);
              assertThat(statsMatchDatabase(key)).as(state).isTrue();
            });
    assertThat(pipeline.warmer().startedFromReports())
        .as("the warmer in the invalidator's process starts from the report as it is written")
        .isGreaterThan(startedFromReportsBefore);
  }

  @Test
  void aReadWithItsWritesTokenNeverReturnsTheValueBeforeTheWrite() throws Exception {
    changeAndAwaitItsEvictions(
        "INSERT INTO posts (id, author_id, title, view_count) VALUES (105, 4, 'ryw', 0)", 2);
    String key = CacheKeys.entry("user_stats", 4);
    List<String> tags = List.of("user:4");
    int rounds = 30;
    int oldValueStillCached = 0;
    long waitsBefore = cache.stats().ownWriteWaits();
    for (int views = 1; views <= rounds; views++) {
      cache.get(key, tags, LONG_TTL, () -> statsOf(4), Map.class); // cached: the old value
      WriteToken token;
      try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
          Statement st = c.createStatement()) {
        c.setAutoCommit(false);
        st.executeUpdate("UPDATE posts SET view_count = " + views + " WHERE id = 105");
        token = WriteToken.commit(c);
      }
      String cachedRightAfter = redis.get(key);
      if (cachedRightAfter != null && totalViews(cachedRightAfter) == views - 1) {
        oldValueStillCached++; // a plain read here would have returned the old value
      }

      Map<?, ?> read =
          cache.getAfter(token, WAIT, key, tags, LONG_TTL, () -> statsOf(4), Map.class);

      assertThat(((Number) read.get("total_views")).longValue())
          .as("read with the token of the write that set %d views", views)
          .isEqualTo(views);
    }
    assertThat(oldValueStillCached).as("the race the token guards against happened").isPositive();
    assertThat(cache.stats().ownWriteWaits() - waitsBefore).isPositive();
    assertThat(cache.stats().ownWriteBypasses())
        .as(
            "the watermark reached every token in time (markers on the clock are 10 minutes"
                + " apart here: each token's own message sent one): reads were served through the"
                + " cache")
        .isZero();
    assertThat(pipeline.invalidator().metrics().watermark()).isPositive();
  }

  @Test
  void aReadWhoseTokenTheWatermarkDoesNotReachInTimeGoesToTheLoader() {
    String key = CacheKeys.entry("user_stats", 8);
    cache.get(key, List.of("user:8"), LONG_TTL, () -> Map.of("total_views", 1), Map.class);
    long bypassesBefore = cache.stats().ownWriteBypasses();

    Map<?, ?> read =
        cache.getAfter(
            new WriteToken(Long.MAX_VALUE / 2),
            Duration.ofMillis(50),
            key,
            List.of("user:8"),
            LONG_TTL,
            () -> Map.of("total_views", 2),
            Map.class);

    assertThat(read.get("total_views")).isEqualTo(2);
    assertThat(cache.stats().ownWriteBypasses()).isEqualTo(bypassesBefore + 1);
  }

  /**
   * What docs/invalidations.md promises a consumer of the public topic, checked with a plain
   * KafkaConsumer and Jackson only: no cachepipe class decodes anything here.
   */
  @Test
  void thePublicInvalidationsTopicDecodesWithAPlainConsumerAndJackson() throws Exception {
    changeAndAwaitItsEvictions(
        "INSERT INTO posts (id, author_id, title) VALUES (106, 8, 'contract')", 2);
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
      WriteToken.afterCommit(c); // its message sends a watermark (none on the clock here)
    }
    ObjectMapper jackson = new ObjectMapper();
    List<JsonNode> invalidations = new ArrayList<>();
    List<JsonNode> watermarks = new ArrayList<>();
    Map<String, Object> config =
        Map.of(
            "bootstrap.servers",
            TestServers.kafka().bootstrapServers(),
            "group.id",
            "plain-consumer-" + System.nanoTime(),
            "auto.offset.reset",
            "earliest");
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(settings.get(Topics.INVALIDATIONS)));
      await("the post's invalidations on the public topic")
          .atMost(WAIT)
          .until(
              () -> {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                  Header type = r.headers().lastHeader("cachepipe.type");
                  if (type != null && "watermark".equals(new String(type.value(), UTF_8))) {
                    assertThat(r.key()).isEqualTo("cachepipe:watermark");
                    watermarks.add(jackson.readTree(r.value()));
                  } else {
                    JsonNode node = jackson.readTree(r.value());
                    assertThat(r.key())
                        .as("the record key is the tag")
                        .isEqualTo(node.get("tag").asText());
                    invalidations.add(node);
                  }
                }
                return !watermarks.isEmpty()
                    && invalidations.stream()
                        .anyMatch(n -> n.get("tag").asText().equals("post:106"));
              });
    }
    JsonNode post =
        invalidations.stream()
            .filter(n -> n.get("tag").asText().equals("post:106"))
            .findFirst()
            .orElseThrow();
    assertThat(post.get("v").asInt()).isEqualTo(1);
    assertThat(post.get("table").asText()).isEqualTo("public.posts");
    assertThat(post.get("op").asText()).isEqualTo("insert");
    assertThat(post.get("lsn").isIntegralNumber()).isTrue();
    assertThat(post.get("tx_id").isIntegralNumber()).isTrue();
    long commitMicros = post.get("commit_ts_us").asLong();
    assertThat(commitMicros)
        .isBetween(
            (System.currentTimeMillis() - 600_000) * 1000, System.currentTimeMillis() * 1000);
    assertThat(post.properties())
        .extracting(Map.Entry::getKey)
        .containsExactlyInAnyOrder("v", "tag", "table", "op", "lsn", "commit_ts_us", "tx_id");
    assertThat(watermarks)
        .isNotEmpty()
        .allSatisfy(
            w -> {
              assertThat(w.get("type").asText()).isEqualTo("watermark");
              assertThat(w.get("lsn").isIntegralNumber()).isTrue();
              assertThat(w.get("source").asInt()).isLessThan(w.get("sources").asInt());
            });
  }

  private static long totalViews(String json) throws Exception {
    return ((Number) Json.mapper().readValue(json, Map.class).get("total_views")).longValue();
  }

  private static boolean statsMatchDatabase(String key) throws Exception {
    String json = redis.get(key);
    if (json == null) {
      return false;
    }
    Map<?, ?> cached = Json.mapper().readValue(json, Map.class);
    Map<String, Long> actual = statsOf(Long.parseLong(key.substring(key.lastIndexOf(':') + 1)));
    return ((Number) cached.get("post_count")).longValue() == actual.get("post_count")
        && ((Number) cached.get("total_views")).longValue() == actual.get("total_views");
  }

  private static Map<String, Long> statsOf(long author) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*), coalesce(sum(view_count), 0) FROM posts WHERE author_id = "
                    + author
                    + " AND is_deleted = false")) {
      rs.next();
      return Map.of("post_count", rs.getLong(1), "total_views", rs.getLong(2));
    }
  }

  /** Caches an entry of {@code kind} under {@code tag} through the client and returns its key. */
  private static String cacheEntry(String kind, long id, String tag) {
    String key = CacheKeys.entry(kind, id);
    cache.get(key, List.of(tag), LONG_TTL, () -> Map.of("id", id), Map.class);
    assertThat(redis.exists(key)).as("%s is cached", key).isEqualTo(1);
    assertThat(redis.sismember(CacheKeys.tagRegistry(tag), key)).isTrue();
    return key;
  }

  private static void awaitEvicted(String... keys) {
    await("eviction of " + List.of(keys)).atMost(WAIT).until(() -> redis.exists(keys) == 0);
  }

  /**
   * Commits {@code statement} and waits until its {@code tags} tags were evicted, so that what a
   * test caches next cannot race that eviction (a fill racing it is rightly dropped).
   */
  private static void changeAndAwaitItsEvictions(String statement, int tags) throws SQLException {
    long before = pipeline.invalidator().metrics().evictions();
    sql(statement);
    await("the evictions of " + statement)
        .atMost(WAIT)
        .until(() -> pipeline.invalidator().metrics().evictions() >= before + tags);
  }

  private static void sql(String statement) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }
}
