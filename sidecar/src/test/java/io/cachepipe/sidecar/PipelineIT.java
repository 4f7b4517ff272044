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
import io.cachepipe.testing.PipelineTestSettings;
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
            + " SELECT g, 'user ' || g, 'user' || g || '@example.com' FROM generate_series(1, 9) g");
    await("the seed's evictions")
        .atMost(WAIT)
        .until(() -> pipeline.invalidator().metrics().evictions() >= 9);
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
    long warmedBefore = pipeline.warmer().stats().warmed();
    long startedFromReportsBefore = pipeline.warmer().stats().startedFromReports();

    sql("UPDATE posts SET view_count = view_count + 1000 WHERE id = 104");

    await("the warmer refills the stats")
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              String state =
                  String.format(
                      "warmed %d (before %d), failed %d, abandoned %d, cached %s, database %s",
                      pipeline.warmer().stats().warmed(),
                      warmedBefore,
                      pipeline.warmer().stats().failed(),
                      pipeline.warmer().stats().abandoned(),
                      redis.get(key),
                      statsOf(7));
              assertThat(pipeline.warmer().stats().warmed()).as(state).isGreaterThan(warmedBefore);
              assertThat(statsMatchDatabase(key)).as(state).isTrue();
            });
    assertThat(pipeline.warmer().stats().startedFromReports())
        .as("the warmer in the invalidator's process starts from the report as it is written")
        .isGreaterThan(startedFromReportsBefore);
  }

  @Test
  void aReadWithItsWritesTokenNeverReturnsTheValueBeforeTheWrite() throws Exception {
    long waitsBefore = cache.stats().ownWriteWaits();

    OwnWriteReads reads = readEachWriteRightAfterIt(4, 105, true);

    assertThat(reads.olderThanTheWrite())
        .as("reads that returned the value before the write")
        .isZero();
    assertThat(reads.oldValueStillCached())
        .as("the race the token guards against happened")
        .isPositive();
    assertThat(cache.stats().ownWriteWaits() - waitsBefore).isPositive();
    assertThat(cache.stats().ownWriteBypasses())
        .as(
            "the watermark reached every token in time (markers on the clock are 10 minutes"
                + " apart here: each token's own message sent one): reads were served through the"
                + " cache")
        .isZero();
    assertThat(pipeline.invalidator().metrics().watermark()).isPositive();
  }

  /**
   * Issues 16 and 17: a long transaction's early change has a lower LSN than a short transaction
   * that commits before it. The short one is evicted first; a reader fills between the two commits;
   * the long one's eviction must still delete that fill, which misses the long transaction's row.
   * Ordered by the change's own LSN, the long one's eviction would look already done and be
   * skipped, and the entry would stay stale until its TTL.
   */
  @Test
  void aLongTransactionCommittedAfterAShortOneEvictsWhatWasFilledBetweenThem() throws Exception {
    changeAndAwaitItsEvictions("INSERT INTO users (id, name, email) VALUES (29, 'l', 'l@x')", 1);
    String key = CacheKeys.entry("user_stats", 29);
    List<String> tags = List.of("user:29");
    try (Connection longTransaction = connect()) {
      longTransaction.setAutoCommit(false);
      execute(longTransaction, "INSERT INTO posts (id, author_id, title) VALUES (127, 29, 'long')");
      WriteToken shortOne;
      try (Connection c = connect()) {
        execute(c, "INSERT INTO posts (id, author_id, title) VALUES (128, 29, 'short')");
        shortOne = WriteToken.afterCommit(c);
      }
      await("the short transaction's eviction")
          .atMost(WAIT)
          .until(() -> cache.watermark() >= shortOne.lsn());
      Map<?, ?> between = cache.get(key, tags, LONG_TTL, () -> statsOf(29), Map.class);
      assertThat(((Number) between.get("post_count")).longValue()).isEqualTo(1);
      assertThat(redis.exists(key)).as("filled between the two commits").isOne();

      WriteToken longOne = WriteToken.commit(longTransaction);
      await("the long transaction's eviction")
          .atMost(WAIT)
          .until(() -> cache.watermark() >= longOne.lsn());
    }

    String cached = redis.get(key);
    assertThat(cached == null || statsMatchDatabase(key))
        .as("cached %s, database %s", cached, statsOf(29))
        .isTrue();
  }

  /**
   * The control: the same reads without the token (a plain {@link CacheClient#get}, no watermark
   * wait) return the value from before the write. If they ever stop doing so, the test above no
   * longer shows what the token is for.
   */
  @Test
  void withoutTheWatermarkWaitTheSameReadsReturnTheValueBeforeTheWrite() throws Exception {
    OwnWriteReads reads = readEachWriteRightAfterIt(9, 107, false);

    assertThat(reads.olderThanTheWrite())
        .as("reads that returned the value before the write, of %d", reads.rounds())
        .isPositive();
  }

  /**
   * How many of {@code rounds} reads returned the value from before the write they followed, and
   * how often that value was still cached right after the write.
   */
  private record OwnWriteReads(int rounds, int olderThanTheWrite, int oldValueStillCached) {}

  /**
   * Sets the view count of {@code post} (of {@code author}) to 1, 2, ... in one write each, and
   * right after each write reads the author's stats (cached before the write) with the write's
   * token, or, when {@code waitForWatermark} is false, without it.
   */
  private static OwnWriteReads readEachWriteRightAfterIt(
      long author, long post, boolean waitForWatermark) throws Exception {
    changeAndAwaitItsEvictions(
        "INSERT INTO posts (id, author_id, title, view_count) VALUES ("
            + post
            + ", "
            + author
            + ", 'ryw', 0)",
        2);
    String key = CacheKeys.entry("user_stats", author);
    List<String> tags = List.of("user:" + author);
    int rounds = 30;
    int olderThanTheWrite = 0;
    int oldValueStillCached = 0;
    for (int views = 1; views <= rounds; views++) {
      cache.get(key, tags, LONG_TTL, () -> statsOf(author), Map.class); // cached: the old value
      WriteToken token;
      try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
          Statement st = c.createStatement()) {
        c.setAutoCommit(false);
        st.executeUpdate("UPDATE posts SET view_count = " + views + " WHERE id = " + post);
        token = WriteToken.commit(c);
      }
      String cachedRightAfter = redis.get(key);
      if (cachedRightAfter != null && totalViews(cachedRightAfter) == views - 1) {
        oldValueStillCached++; // a plain read here would have returned the old value
      }

      Map<?, ?> read =
          waitForWatermark
              ? cache.getAfter(token, WAIT, key, tags, LONG_TTL, () -> statsOf(author), Map.class)
              : cache.get(key, tags, LONG_TTL, () -> statsOf(author), Map.class);

      long readViews = ((Number) read.get("total_views")).longValue();
      if (readViews != views) {
        olderThanTheWrite++;
        System.out.printf(
            "read after own write: round %d read %d views; token %d, watermark %d, cached right"
                + " after the write %s, cached now %s%n",
            views, readViews, token.lsn(), cache.watermark(), cachedRightAfter, redis.get(key));
      }
    }
    return new OwnWriteReads(rounds, olderThanTheWrite, oldValueStillCached);
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
    assertThat(post.get("commit_lsn").isIntegralNumber()).isTrue();
    assertThat(post.get("tx_id").isIntegralNumber()).isTrue();
    long commitMicros = post.get("commit_ts_us").asLong();
    assertThat(commitMicros)
        .isBetween(
            (System.currentTimeMillis() - 600_000) * 1000, System.currentTimeMillis() * 1000);
    assertThat(post.properties())
        .extracting(Map.Entry::getKey)
        .containsExactlyInAnyOrder(
            "v", "tag", "table", "op", "lsn", "commit_lsn", "commit_ts_us", "tx_id");
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
    assertThat(redis.zscore(CacheKeys.tagRegistry(tag), key)).isNotNull();
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
    try (Connection c = connect()) {
      execute(c, statement);
    }
  }

  private static void execute(Connection c, String statement) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }

  private static Connection connect() throws SQLException {
    return DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
  }
}
