package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.cachepipe.auditor.AuditResult;
import io.cachepipe.auditor.ConsistencyAuditor;
import io.cachepipe.cdc.CdcConfig;
import io.cachepipe.cdc.ChangeCapture;
import io.cachepipe.client.CacheClient;
import io.cachepipe.client.WriteToken;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.json.Json;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import io.cachepipe.warmer.WarmableEntry;
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
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

/**
 * The promise: whatever the interleaving of readers, writers, the warmer and restarts, no stale
 * entry survives. Readers read two kinds of entries of each author: its stats, which the warmer
 * recomputes after each eviction, and its posts (ids and view counts), which nothing warms (so
 * every eviction is followed by reader misses). A few authors take all the traffic so that reads
 * race writes on the same entries, and the loader's query takes 300 ms (pg_sleep): a reader's
 * snapshot is then routinely older than an eviction that lands before its fill, the race that
 * leaves a plain cache-aside stale. Every other reader is moreover slower than the pipeline (its
 * query takes 1 s, and it returns only once the changes committed meanwhile are evicted), so that
 * the race happens even when a busy machine slows the pipeline down past 300 ms. After the pipeline
 * drained, every cached entry must equal PostgreSQL, entry by entry and, for the user stats, by the
 * {@link ConsistencyAuditor}. A second run does the same while the stages are restarted.
 *
 * <p>Writers make a fixed number of changes at a pace the pipeline keeps up with; readers read
 * until the writers are done, then one last write changes every entry while slow reads are in their
 * query, and nothing reads after it. A fixed seed ({@code -Dcachepipe.race.seed=N} to change it; it
 * is printed on failure) fixes the writes, the reads and the restarts, not the threads' timing.
 * {@code -Dcachepipe.race.fences=off} reads through a plain cache-aside client instead (GET, load,
 * SET and register, no version check): the test then fails, which shows it can.
 */
class ConsistencyRaceIT {

  private static final long SEED = Long.getLong("cachepipe.race.seed", 20261125L);
  private static final boolean FENCED = !"off".equals(System.getProperty("cachepipe.race.fences"));
  private static final int AUTHORS = 4;
  private static final int POSTS = 40;

  /** Readers, each on a connection of its own; every other one is slower than the pipeline. */
  private static final int READERS = 8;

  /** The longest a reader slower than the pipeline waits for it after its query. */
  private static final Duration SLOW_READ_CAP = Duration.ofSeconds(5);

  private static final int WRITERS = 2;
  private static final int WRITES_EACH = 150;
  private static final Duration TTL = Duration.ofHours(1);

  /** How long a reader's query takes (pg_sleep); a reader slower than the pipeline takes longer. */
  private static final double READ_SECONDS = 0.3;

  private static final double SLOW_READ_SECONDS = 1.0;

  /** Authors with a slow read in its query when the last write commits. */
  private static final int LAST_WRITE_RACES = 2;

  /** Writes of each writer in the run with restarts. */
  private static final int RESTART_RUN_WRITES_EACH = 200;

  /**
   * Writes that go on while a stage is down, at most: then writers wait for it to be back, so that
   * every restart overlaps writes however long it takes on a loaded machine.
   */
  private static final int WRITES_WHILE_DOWN = 40;

  private static final Duration STAGE_START = Duration.ofSeconds(60);

  @Test
  void noStaleEntrySurvivesConcurrentReadersWritersAndTheWarmer() throws Exception {
    System.out.printf("race: seed %d, fences %s%n", SEED, FENCED ? "on" : "off");
    Database db = seededDatabase("race_it");
    Settings settings = PipelineTestSettings.of(db, "race");
    String redisUri = TestServers.redis().uri();

    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    try (Pipeline pipeline =
            Pipeline.start(settings, SidecarConfig.validate(settings), failure::complete);
        CacheClient cache = CacheClient.create(redisUri);
        RedisView redis = new RedisView(redisUri)) {
      pipeline.capture().awaitStarted(STAGE_START);
      pipeline.awaitReady(STAGE_START);
      Race race =
          new Race(db, FENCED ? fenced(cache) : unfenced(redis), cache::watermark, WRITES_EACH);
      race.run(() -> {});
      assertThat(failure).as("no stage failed").isNotDone();

      try (PipelineDrain drain = new PipelineDrain(settings, pipeline)) {
        quiesce(db, drain);
      }
      assertNoStaleEntry(settings, db, redis, cache, race.figures() + ", no restart");
    }
  }

  /**
   * The same race while the stages are restarted: each stage runs in a pipeline of its own, with
   * the same settings throughout (consumer groups, slot, Streams application id and state
   * directory), so that it can be stopped and started again on its own while readers and writers go
   * on, as when one process of a deployment is restarted. At seeded points of the writes: the
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
    System.out.printf("race with restarts: seed %d, fences %s%n", SEED, FENCED ? "on" : "off");
    Database db = seededDatabase("race_restarts_it");
    // Debezium waits retriable.restart.connector.wait.ms (10 s by default) before it reconnects
    // after losing its replication connection; 1 s keeps the run short.
    Settings settings =
        PipelineTestSettings.of(db, "race-restarts")
            .with("debezium.source.retriable.restart.connector.wait.ms", "1000");
    SidecarConfig.validate(settings);
    String redisUri = TestServers.redis().uri();

    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    try (Stages stages = new Stages(settings, failure::complete);
        CacheClient cache = CacheClient.create(redisUri);
        RedisView redis = new RedisView(redisUri)) {
      // Downstream first, as Pipeline starts them.
      stages.start(Stage.WARMER);
      stages.start(Stage.INVALIDATOR);
      stages.start(Stage.CDC);
      Race race =
          new Race(
              db,
              FENCED ? fenced(cache) : unfenced(redis),
              cache::watermark,
              RESTART_RUN_WRITES_EACH);
      List<String> restarts = new ArrayList<>();
      race.run(() -> restartAtSeededPoints(race, stages, db, settings, restarts));
      assertThat(failure).as("no stage failed").isNotDone();
      assertThat(restarts).as("restarts done").hasSize(Disruption.SCHEDULE.size());

      try (PipelineDrain drain = new PipelineDrain(settings, stages.capture(), true)) {
        quiesce(db, drain);
      }
      assertNoStaleEntry(
          settings,
          db,
          redis,
          cache,
          race.figures()
              + ", "
              + restarts.size()
              + " restarts ["
              + String.join("; ", restarts)
              + "], warmer fills "
              + stages.warmed());
    }
  }

  /** What the restart run does to the stages, each at a seeded point of the writes. */
  private enum Disruption {
    INVALIDATOR,
    WARMER,
    CDC,
    /** The cdc stage's replication connection killed in PostgreSQL; the stage keeps running. */
    CDC_CONNECTION_KILLED;

    static final List<Disruption> SCHEDULE =
        List.of(INVALIDATOR, INVALIDATOR, WARMER, WARMER, CDC, CDC_CONNECTION_KILLED);
  }

  /**
   * Disrupts the stages at seeded points between 5 % and 80 % of the writes, in a seeded order,
   * while readers and writers go on. Writers make at most {@link #WRITES_WHILE_DOWN} writes while a
   * stage is down, then wait for it.
   */
  private static void restartAtSeededPoints(
      Race race, Stages stages, Database db, Settings settings, List<String> done)
      throws Exception {
    SplittableRandom random = new SplittableRandom(SEED * 43);
    List<Disruption> order = new ArrayList<>(Disruption.SCHEDULE);
    for (int i = order.size() - 1; i > 0; i--) {
      order.set(i, order.set(random.nextInt(i + 1), order.get(i)));
    }
    int total = race.totalWrites();
    int[] points = random.ints(order.size(), total * 5 / 100, total * 80 / 100).sorted().toArray();
    String slot = CdcConfig.from(settings).slotName();
    for (int i = 0; i < order.size(); i++) {
      int point = points[i];
      Disruption disruption = order.get(i);
      await("write " + point)
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(10))
          .until(() -> race.writesDone.get() >= point);
      int at = race.writesDone.get();
      race.writeGate.set(at + WRITES_WHILE_DOWN);
      long started = System.nanoTime();
      try {
        if (disruption == Disruption.CDC_CONNECTION_KILLED) {
          killReplicationConnection(db, slot);
        } else {
          stages.restart(Stage.valueOf(disruption.name()));
        }
      } finally {
        race.writeGate.set(Integer.MAX_VALUE);
      }
      String line =
          String.format(
              "%s at write %d: back after %d ms, %d writes meanwhile",
              disruption,
              at,
              Duration.ofNanos(System.nanoTime() - started).toMillis(),
              race.writesDone.get() - at);
      System.out.println("race: " + line);
      done.add(line);
    }
  }

  /**
   * Terminates the walsender of the slot, then waits until Debezium has reconnected to it (the slot
   * is active again, under another backend).
   */
  private static void killReplicationConnection(Database db, String slot) throws Exception {
    Integer pid = activeSlotPid(db, slot);
    assertThat(pid).as("the slot %s is in use by the cdc stage", slot).isNotNull();
    try (Connection c = connect(db);
        PreparedStatement st = c.prepareStatement("SELECT pg_terminate_backend(?)")) {
      st.setInt(1, pid);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        assertThat(rs.getBoolean(1)).as("walsender %d terminated", pid).isTrue();
      }
    }
    await("the cdc stage to reconnect to the slot " + slot)
        .atMost(STAGE_START)
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              Integer now = activeSlotPid(db, slot);
              return now != null && !now.equals(pid);
            });
  }

  /** The backend streaming from {@code slot}, or null while none does. */
  private static Integer activeSlotPid(Database db, String slot) throws SQLException {
    try (Connection c = connect(db);
        PreparedStatement st =
            c.prepareStatement("SELECT active_pid FROM pg_replication_slots WHERE slot_name = ?")) {
      st.setString(1, slot);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? (Integer) rs.getObject(1) : null;
      }
    }
  }

  /**
   * After quiescence no entry may differ from PostgreSQL: checked here entry by entry, and by the
   * consistency auditor for the warmable user stats, with no grace period (nothing is in flight any
   * more). Prints the run's figures.
   */
  private static void assertNoStaleEntry(
      Settings settings, Database db, RedisView redis, CacheClient cache, String figures)
      throws Exception {
    AtomicInteger compared = new AtomicInteger();
    List<String> stale = staleEntries(redis, db, compared);
    AuditResult audit =
        new ConsistencyAuditor(redis.commands, () -> connect(db), WarmableEntry.from(settings))
            .auditAll(Duration.ZERO);
    System.out.printf(
        "race: seed %d, fences %s: %s; fills accepted %d, rejected %d; %d cached entries"
            + " compared, %d stale; audit: %d user_stats entries checked, %d stale%n",
        SEED,
        FENCED ? "on" : "off",
        figures,
        cache.stats().fillsAccepted(),
        cache.stats().fillsRejected(),
        compared.get(),
        stale.size(),
        audit.checked(),
        audit.stale());
    assertThat(stale)
        .as("stale entries with seed %d (fences %s)", SEED, FENCED ? "on" : "off")
        .isEmpty();
    assertThat(audit.staleEntries())
        .as("stale entries the auditor found with seed %d (fences %s)", SEED, FENCED ? "on" : "off")
        .isEmpty();
    if (FENCED) {
      // Not a vacuous pass: reads did race writes, and the fences dropped the losing fills. (How
      // many fills were written depends on the machine's speed: on a fast one the writes keep
      // every entry's tags moving through each 300 ms read, and none is.)
      assertThat(cache.stats().fillsRejected()).as("fills dropped by a fence").isPositive();
    }
  }

  /**
   * A database with {@link #POSTS} posts of {@link #AUTHORS} users, and one more user with none;
   * Redis emptied.
   */
  private static Database seededDatabase(String name) throws SQLException {
    Database db = TestServers.postgres().createDatabase(name);
    sql(
        db,
        "INSERT INTO users (id, name, email) SELECT g, 'u' || g, 'u' || g || '@x' FROM generate_series(1, "
            + (AUTHORS + 1)
            + ") g");
    sql(
        db,
        "INSERT INTO posts (id, author_id, title, view_count) SELECT g, 1 + g % "
            + AUTHORS
            + ", 'p', g FROM generate_series(1, "
            + POSTS
            + ") g");
    TestServers.redis().flushAll();
    return db;
  }

  /**
   * Writers making a fixed number of changes at a pace the pipeline keeps up with, and readers
   * reading until the writers (and whatever runs alongside) are done; then one last write, made
   * while slow readers are in their query for at least {@link #LAST_WRITE_RACES} authors, that
   * changes the entries of that many of those authors; readers start no read after it.
   *
   * <p>The last write races those reads, and nothing reads the entries again after it: a fill that
   * loses to it (it read before the write and fills after its eviction) stays, unless a fence drops
   * it. Earlier losing fills are mostly overwritten by later readers' fills or evicted by later
   * writes, so without it a run without fences often ends clean. The other authors' entries stay as
   * the race left them.
   */
  private static final class Race {
    private final Database db;
    private final Reader reader;
    private final LongSupplier watermark;
    private final int writesEach;
    final AtomicInteger writesDone = new AtomicInteger();
    final AtomicLong reads = new AtomicLong();

    /** Slow readers in their query, by author. */
    final AtomicIntegerArray slowQueries = new AtomicIntegerArray(AUTHORS + 1);

    /** Writers wait while {@link #writesDone} is at or past it. */
    final AtomicInteger writeGate = new AtomicInteger(Integer.MAX_VALUE);

    Race(Database db, Reader reader, LongSupplier watermark, int writesEach) {
      this.db = db;
      this.reader = reader;
      this.watermark = watermark;
      this.writesEach = writesEach;
    }

    int totalWrites() {
      return WRITERS * writesEach;
    }

    String figures() {
      return writesDone.get() + " writes, " + reads.get() + " reads";
    }

    /** Runs the race, and {@code alongside} beside it; fails with the first task that failed. */
    void run(Task alongside) throws Exception {
      ExecutorService threads = Executors.newFixedThreadPool(READERS + WRITERS + 1);
      AtomicBoolean reading = new AtomicBoolean(true);
      List<Future<?>> work = new ArrayList<>();
      try (Connection last = connect(db)) {
        work.add(
            threads.submit(
                () -> {
                  alongside.run();
                  return null;
                }));
        for (int w = 0; w < WRITERS; w++) {
          SplittableRandom random = new SplittableRandom(SEED * 17 + w);
          work.add(
              threads.submit(
                  () -> {
                    try (Connection c = connect(db)) {
                      for (int i = 0; i < writesEach; i++) {
                        awaitGate();
                        write(c, random);
                        writesDone.incrementAndGet();
                        pause(c); // a paced write load the pipeline keeps up with
                      }
                    }
                    return null;
                  }));
        }
        for (int r = 0; r < READERS; r++) {
          SplittableRandom random = new SplittableRandom(SEED * 31 + r);
          boolean slow = r % 2 == 0;
          work.add(
              threads.submit(
                  () -> {
                    try (Connection c = connect(db)) {
                      Source source =
                          slow
                              ? (kind, author) -> slowRead(c, kind, author)
                              : (kind, author) -> load(c, kind, author, READ_SECONDS);
                      while (reading.get()) {
                        Kind kind = random.nextBoolean() ? Kind.STATS : Kind.POSTS;
                        reader.read(source, kind, 1 + random.nextInt(AUTHORS));
                        reads.incrementAndGet();
                        // 5 ms of think time: hits alone would keep both cores busy, starving
                        // the pipeline (misses take 300 ms anyway, so the races stay the same).
                        LockSupport.parkNanos(5_000_000L);
                      }
                    }
                    return null;
                  }));
        }
        for (Future<?> f : work.subList(0, 1 + WRITERS)) {
          f.get();
        }
        await("slow reads of %d authors in their query".formatted(LAST_WRITE_RACES))
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(1))
            .until(() -> slowReadAuthors().size() >= LAST_WRITE_RACES);
        reading.set(false);
        String authors =
            slowReadAuthors().stream()
                .limit(LAST_WRITE_RACES)
                .map(String::valueOf)
                .collect(Collectors.joining(","));
        update(
            last,
            "UPDATE posts SET view_count = view_count + ? WHERE author_id IN (" + authors + ")",
            1);
        writesDone.incrementAndGet();
        for (Future<?> f : work) {
          f.get();
        }
      } finally {
        reading.set(false);
        threads.shutdownNow();
      }
    }

    /** The authors slow readers are querying now. */
    private List<Integer> slowReadAuthors() {
      List<Integer> authors = new ArrayList<>();
      for (int a = 1; a <= AUTHORS; a++) {
        if (slowQueries.get(a) > 0) {
          authors.add(a);
        }
      }
      return authors;
    }

    /**
     * {@link #load} by a reader slower than the pipeline: its query takes {@link
     * #SLOW_READ_SECONDS}, and it returns only once every change committed before the query
     * returned has been evicted (the invalidator's watermark has passed PostgreSQL's WAL position
     * then), or after {@link #SLOW_READ_CAP} if a stage is down that long. Its fill then comes
     * after the eviction of any write it missed: the race that leaves a plain cache-aside stale,
     * which readers that take a fixed 300 ms win whenever a busy machine slows the pipeline down
     * more than that.
     */
    private Map<String, Object> slowRead(Connection c, Kind kind, int author) throws SQLException {
      Map<String, Object> value;
      slowQueries.incrementAndGet(author);
      try {
        value = load(c, kind, author, SLOW_READ_SECONDS);
      } finally {
        slowQueries.decrementAndGet(author);
      }
      long lsn = WriteToken.afterCommit(c).lsn();
      try {
        await("the pipeline to pass LSN " + lsn)
            .atMost(SLOW_READ_CAP)
            .pollInterval(Duration.ofMillis(5))
            .until(() -> watermark.getAsLong() >= lsn);
      } catch (ConditionTimeoutException e) {
        // a stage was down: the reader was just slower still
      }
      return value;
    }

    private void awaitGate() {
      if (writesDone.get() >= writeGate.get()) {
        await("a stage to be back")
            .atMost(Duration.ofSeconds(120))
            .pollInterval(Duration.ofMillis(10))
            .until(() -> writesDone.get() < writeGate.get());
      }
    }
  }

  @FunctionalInterface
  private interface Task {
    void run() throws Exception;
  }

  /**
   * Each stage in a {@link Pipeline} of its own, all on the same settings, so that one can be
   * stopped and started again while the others run.
   */
  private static final class Stages implements AutoCloseable {
    private final Settings settings;
    private final Consumer<Throwable> onFailure;
    private final Map<Stage, Pipeline> running = new ConcurrentHashMap<>();
    private final AtomicLong warmedByStopped = new AtomicLong();

    Stages(Settings settings, Consumer<Throwable> onFailure) {
      this.settings = settings;
      this.onFailure = onFailure;
    }

    void start(Stage stage) throws Exception {
      Pipeline pipeline = Pipeline.start(settings, EnumSet.of(stage), onFailure);
      running.put(stage, pipeline);
      if (stage == Stage.CDC) {
        pipeline.capture().awaitStarted(STAGE_START);
      }
      pipeline.awaitReady(STAGE_START);
    }

    /** Closes the stage's pipeline gracefully, then starts it again and waits until it is ready. */
    void restart(Stage stage) throws Exception {
      Pipeline pipeline = running.remove(stage);
      if (pipeline.warmer() != null) {
        warmedByStopped.addAndGet(pipeline.warmer().warmed());
      }
      pipeline.close();
      start(stage);
    }

    ChangeCapture capture() {
      return running.get(Stage.CDC).capture();
    }

    /** Entries filled by every warmer so far. */
    long warmed() {
      Pipeline warmer = running.get(Stage.WARMER);
      return warmedByStopped.get() + (warmer == null ? 0 : warmer.warmer().warmed());
    }

    /** Stops the stages upstream first. */
    @Override
    public void close() {
      for (Stage stage : List.of(Stage.CDC, Stage.INVALIDATOR, Stage.WARMER)) {
        Pipeline pipeline = running.remove(stage);
        if (pipeline != null) {
          pipeline.close();
        }
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

  /**
   * The entries of an author that readers cache: its stats (warmable) and its posts (not), as ids
   * and view counts so that every kind of write changes it.
   */
  private enum Kind {
    STATS("user_stats", "SELECT count(*)::text || ',' || coalesce(sum(view_count), 0)"),
    POSTS(
        "user_posts", "SELECT coalesce(string_agg(id || ':' || view_count, ',' ORDER BY id), '')");

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

  /** Where a reader gets an entry's value from PostgreSQL. */
  @FunctionalInterface
  private interface Source {
    Map<String, Object> load(Kind kind, int author) throws Exception;
  }

  @FunctionalInterface
  private interface Reader {
    void read(Source source, Kind kind, int author) throws Exception;
  }

  /** The application as cachepipe has it read: fenced fills. */
  private static Reader fenced(CacheClient cache) {
    return (source, kind, author) ->
        cache.get(
            kind.key(author),
            List.of("user:" + author),
            TTL,
            () -> source.load(kind, author),
            Map.class);
  }

  /** The classic cache-aside, for showing the test fails without fences. */
  private static Reader unfenced(RedisView redis) {
    return (source, kind, author) -> {
      String key = kind.key(author);
      if (redis.commands.get(key) == null) {
        Map<String, Object> value = source.load(kind, author);
        redis.commands.set(key, Json.mapper().writeValueAsString(value));
        redis.commands.sadd(CacheKeys.tagRegistry("user:" + author), key);
      }
    };
  }

  /**
   * An entry's value from PostgreSQL, in the warmer's shape for stats ({@code post_count}, {@code
   * total_views}). The query sleeps {@code seconds}: the snapshot is taken when the statement
   * starts, so the value is that old when it returns.
   */
  private static Map<String, Object> load(Connection db, Kind kind, long author, double seconds)
      throws SQLException {
    String sql =
        kind.select
            + (seconds > 0 ? ", pg_sleep(" + seconds + ")" : "")
            + " FROM posts WHERE author_id = "
            + author
            + " AND is_deleted = false";
    try (Statement st = db.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      String text = rs.getString(1);
      if (kind == Kind.POSTS) {
        return Map.of("posts", text);
      }
      String[] parts = text.split(",");
      return Map.of(
          "post_count", Long.parseLong(parts[0]), "total_views", Long.parseLong(parts[1]));
    }
  }

  /** Waits until every change committed so far went through every stage. */
  private static void quiesce(Database db, PipelineDrain drain) throws Exception {
    long lsn;
    try (Connection c = connect(db);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")) {
      rs.next();
      lsn = rs.getLong(1);
    }
    // A change after all others, to a user no reader reads (so it evicts none of their entries).
    sql(db, "UPDATE users SET updated_at = now() WHERE id = " + (AUTHORS + 1));
    drain.await(lsn, Duration.ofSeconds(90));
  }

  private static List<String> staleEntries(
      RedisView redis, Database database, AtomicInteger compared) throws Exception {
    List<String> stale = new ArrayList<>();
    try (Connection db = connect(database)) {
      for (Kind kind : Kind.values()) {
        for (String key : redis.keys(kind)) {
          String json = redis.commands.get(key);
          if (json == null) {
            continue;
          }
          compared.incrementAndGet();
          long author = Long.parseLong(key.substring(key.lastIndexOf(':') + 1));
          JsonNode cached = Json.mapper().readTree(json);
          JsonNode actual = Json.mapper().valueToTree(load(db, kind, author, 0));
          if (!sameValues(cached, actual)) {
            stale.add(key + " cached " + cached + " but database has " + actual);
          }
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

  private static Connection connect(Database db) throws SQLException {
    return DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
  }

  private static void sql(Database db, String statement) throws SQLException {
    try (Connection c = connect(db);
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
