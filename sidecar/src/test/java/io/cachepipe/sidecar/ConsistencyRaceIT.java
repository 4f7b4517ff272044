package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cachepipe.client.CacheClient;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.json.Json;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The promise: whatever the interleaving of readers, writers and the warmer, no stale entry
 * survives. Readers read two kinds of entries of each author: its stats, which the warmer
 * recomputes after each eviction, and its post ids, which nothing warms (so every eviction is
 * followed by reader misses). A few authors take all the traffic so that reads race writes on the
 * same entries, and the loader's query takes 300 ms (pg_sleep), longer than a change takes to be
 * evicted: a reader's snapshot is then routinely older than an eviction that lands before its fill,
 * the race that leaves a plain cache-aside stale. After the pipeline drained, every cached user
 * stats entry must equal PostgreSQL.
 *
 * <p>Writers make a fixed number of changes at a pace the pipeline keeps up with (evictions land
 * well within a reader's 300 ms); readers read until the writers are done, so that reads race the
 * last writes too. A fixed seed ({@code -Dcachepipe.race.seed=N} to change it; it is printed on
 * failure). {@code -Dcachepipe.race.fences=off} reads through a plain cache-aside client instead
 * (GET, load, SET and register, no version check): the test then fails, which shows it can.
 */
class ConsistencyRaceIT {

  private static final long SEED = Long.getLong("cachepipe.race.seed", 20261125L);
  private static final boolean FENCED = !"off".equals(System.getProperty("cachepipe.race.fences"));
  private static final int AUTHORS = 4;
  private static final int POSTS = 40;
  private static final int READERS = 4;
  private static final int WRITERS = 2;
  private static final int WRITES_EACH = 150;
  private static final Duration TTL = Duration.ofHours(1);

  @Test
  void noStaleEntrySurvivesConcurrentReadersWritersAndTheWarmer() throws Exception {
    System.out.printf("race: seed %d, fences %s%n", SEED, FENCED ? "on" : "off");
    Database db = TestServers.postgres().createDatabase("race_it");
    String redisUri = TestServers.redis().uri();
    Settings settings = PipelineTestSettings.of(db, "race");
    sql(
        db,
        "INSERT INTO users (id, name, email) SELECT g, 'u' || g, 'u' || g || '@x' FROM generate_series(1, "
            + AUTHORS
            + ") g");
    sql(
        db,
        "INSERT INTO posts (id, author_id, title, view_count) SELECT g, 1 + g % "
            + AUTHORS
            + ", 'p', g FROM generate_series(1, "
            + POSTS
            + ") g");
    TestServers.redis().flushAll();

    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    try (Pipeline pipeline =
            Pipeline.start(settings, SidecarConfig.validate(settings), failure::complete);
        CacheClient cache = CacheClient.create(redisUri);
        RedisView redis = new RedisView(redisUri)) {
      pipeline.capture().awaitStarted(Duration.ofSeconds(60));
      pipeline.awaitReady(Duration.ofSeconds(60));
      Reader reader = FENCED ? fenced(cache, db) : unfenced(redis, db);

      ExecutorService threads = Executors.newFixedThreadPool(READERS + WRITERS);
      AtomicInteger writersLeft = new AtomicInteger(WRITERS);
      List<Future<?>> work = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        SplittableRandom random = new SplittableRandom(SEED * 17 + w);
        work.add(
            threads.submit(
                () -> {
                  try (Connection c =
                      DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password())) {
                    for (int i = 0; i < WRITES_EACH; i++) {
                      write(c, random);
                      pause(c); // a paced write load the pipeline keeps up with
                    }
                  } finally {
                    writersLeft.decrementAndGet();
                  }
                  return null;
                }));
      }
      for (int r = 0; r < READERS; r++) {
        SplittableRandom random = new SplittableRandom(SEED * 31 + r);
        work.add(
            threads.submit(
                () -> {
                  while (writersLeft.get() > 0) {
                    Kind kind = random.nextBoolean() ? Kind.STATS : Kind.POST_IDS;
                    reader.read(kind, 1 + random.nextInt(AUTHORS));
                  }
                  return null;
                }));
      }
      for (Future<?> f : work) {
        f.get();
      }
      threads.shutdown();
      assertThat(failure).as("no stage failed").isNotDone();

      quiesce(settings, pipeline, db);
      List<String> stale = staleEntries(redis, db);
      assertThat(stale)
          .as("stale entries with seed %d (fences %s)", SEED, FENCED ? "on" : "off")
          .isEmpty();
      if (FENCED) {
        // Not a vacuous pass: reads did race writes, and the fences dropped the losing fills.
        assertThat(cache.stats().fillsRejected()).as("fills dropped by a fence").isPositive();
        assertThat(cache.stats().fillsAccepted()).as("fills written").isPositive();
      }
    }
  }

  /** One mutation chosen at random: single-row, bulk, a move between authors, deletes. */
  private static void write(Connection c, SplittableRandom random) throws SQLException {
    int post = 1 + random.nextInt(POSTS);
    int author = 1 + random.nextInt(AUTHORS);
    switch (random.nextInt(5)) {
      case 0 -> update(c, "UPDATE posts SET view_count = view_count + 7 WHERE id = ?", post);
      case 1 ->
          update(c, "UPDATE posts SET view_count = view_count + 1 WHERE author_id = ?", author);
      case 2 -> update(c, "UPDATE posts SET author_id = " + author + " WHERE id = ?", post);
      case 3 -> update(c, "UPDATE posts SET is_deleted = NOT is_deleted WHERE id = ?", post);
      default -> {
        update(c, "DELETE FROM posts WHERE id = ?", post);
        update(
            c,
            "INSERT INTO posts (id, author_id, title, view_count) VALUES (?, "
                + author
                + ", 'p', 3) ON CONFLICT DO NOTHING",
            post);
      }
    }
  }

  /** 20 ms of think time, spent in the database. */
  private static void pause(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("SELECT pg_sleep(0.02)");
    }
  }

  private static void update(Connection c, String sql, int value) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(sql)) {
      st.setInt(1, value);
      st.executeUpdate();
    }
  }

  /** The entries of an author that readers cache: its stats (warmable) and its post ids (not). */
  private enum Kind {
    STATS("user_stats", "SELECT count(*)::text || ',' || coalesce(sum(view_count), 0)"),
    POST_IDS("user_post_ids", "SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '')");

    final String name;
    final String select;

    Kind(String name, String select) {
      this.name = name;
      this.select = select;
    }

    String key(long author) {
      return CacheKeys.entry(name, author);
    }
  }

  @FunctionalInterface
  private interface Reader {
    void read(Kind kind, int author) throws Exception;
  }

  /** The application as cachepipe has it read: fenced fills. */
  private static Reader fenced(CacheClient cache, Database db) {
    return (kind, author) ->
        cache.get(
            kind.key(author),
            List.of("user:" + author),
            TTL,
            () -> load(db, kind, author, true),
            Map.class);
  }

  /** The classic cache-aside, for showing the test fails without fences. */
  private static Reader unfenced(RedisView redis, Database db) {
    return (kind, author) -> {
      String key = kind.key(author);
      if (redis.commands.get(key) == null) {
        Map<String, Object> value = load(db, kind, author, true);
        redis.commands.set(key, Json.mapper().writeValueAsString(value));
        redis.commands.sadd(CacheKeys.tagRegistry("user:" + author), key);
      }
    };
  }

  /**
   * An entry's value from PostgreSQL, in the warmer's shape for stats ({@code post_count}, {@code
   * total_views}). Slowed by 300 ms when {@code slow}: the snapshot is taken when the statement
   * starts, so the value is that old when it returns.
   */
  private static Map<String, Object> load(Database db, Kind kind, long author, boolean slow)
      throws SQLException {
    String sql =
        kind.select
            + (slow ? ", pg_sleep(0.3)" : "")
            + " FROM posts WHERE author_id = "
            + author
            + " AND is_deleted = false";
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      String text = rs.getString(1);
      if (kind == Kind.POST_IDS) {
        return Map.of("ids", text);
      }
      String[] parts = text.split(",");
      return Map.of(
          "post_count", Long.parseLong(parts[0]), "total_views", Long.parseLong(parts[1]));
    }
  }

  private static void quiesce(Settings settings, Pipeline pipeline, Database db) throws Exception {
    long lsn;
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")) {
      rs.next();
      lsn = rs.getLong(1);
    }
    sql(db, "UPDATE users SET updated_at = now() WHERE id = 1"); // a change after all others
    try (PipelineDrain drain = new PipelineDrain(settings, pipeline)) {
      drain.await(lsn, Duration.ofSeconds(90));
    }
  }

  private static List<String> staleEntries(RedisView redis, Database db) throws Exception {
    List<String> stale = new ArrayList<>();
    for (Kind kind : Kind.values()) {
      for (String key : redis.keys(kind)) {
        String json = redis.commands.get(key);
        if (json == null) {
          continue;
        }
        long author = Long.parseLong(key.substring(key.lastIndexOf(':') + 1));
        JsonNode cached = Json.mapper().readTree(json);
        JsonNode actual = Json.mapper().valueToTree(load(db, kind, author, false));
        if (!sameValues(cached, actual)) {
          stale.add(key + " cached " + cached + " but database has " + actual);
        }
      }
    }
    return stale;
  }

  /** Field by field as text: the warmer writes sums as decimals (111), readers as longs. */
  private static boolean sameValues(JsonNode cached, JsonNode actual) {
    if (cached.size() != actual.size()) {
      return false;
    }
    for (var field : (Iterable<Map.Entry<String, JsonNode>>) actual::fields) {
      JsonNode value = cached.get(field.getKey());
      if (value == null || !value.asText().equals(field.getValue().asText())) {
        return false;
      }
    }
    return true;
  }

  private static void sql(Database db, String statement) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
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

    List<String> keys(Kind kind) {
      List<String> keys = new ArrayList<>();
      ScanCursor cursor = ScanCursor.INITIAL;
      do {
        var page =
            commands.scan(
                cursor, ScanArgs.Builder.matches(kind.key(0).replace(":0", ":*")).limit(100));
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
