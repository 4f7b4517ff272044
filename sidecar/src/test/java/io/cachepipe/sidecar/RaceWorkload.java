package io.cachepipe.sidecar;

import static org.awaitility.Awaitility.await;

import io.cachepipe.client.WriteToken;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The race of {@link ConsistencyRaceIT}: writers making a fixed number of changes at a pace the
 * pipeline keeps up with, and readers reading until the writers (and whatever runs alongside) are
 * done; then one last write, made while slow readers of the posts of at least {@link
 * #LAST_WRITE_RACES} authors are in their query (PostgreSQL shows it running, so its snapshot is
 * taken; if readers have cached every entry, a write that changes no value evicts them all again),
 * that changes the entries of those authors; readers start no read after it.
 *
 * <p>A few authors take all the traffic so that reads race writes on the same entries, and a
 * reader's query takes 300 ms (pg_sleep): its snapshot is then routinely older than an eviction
 * that lands before its fill. Every other reader is moreover slower than the pipeline (its query
 * takes 1 s, and it returns only once the changes committed meanwhile are evicted), so that the
 * race happens even when a busy machine slows the pipeline down past 300 ms.
 *
 * <p>The last write races those slow reads, and nothing reads the entries again after it: a fill
 * that loses to it (it read before the write and fills after its eviction) stays, unless a fence
 * drops it. The raced entries are posts, which the warmer does not recompute, so nothing else
 * writes them afterwards. Earlier losing fills are mostly overwritten by later readers' fills or
 * evicted by later writes. A fixed seed fixes the writes and the reads, not the threads' timing.
 */
final class RaceWorkload {

  static final int AUTHORS = 4;
  static final int POSTS = 40;

  /** Readers, each on a connection of its own; every other one is slower than the pipeline. */
  private static final int READERS = 8;

  /** The longest a reader slower than the pipeline waits for it after its query. */
  private static final Duration SLOW_READ_CAP = Duration.ofSeconds(5);

  private static final int WRITERS = 2;

  /** How long a reader's query takes (pg_sleep); a reader slower than the pipeline takes longer. */
  private static final double READ_SECONDS = 0.3;

  private static final double SLOW_READ_SECONDS = 1.0;

  /** Authors with a slow read of their posts in its query when the last write commits. */
  private static final int LAST_WRITE_RACES = 2;

  private final long seed;
  private final Database db;
  private final RaceReader reader;
  private final LongSupplier watermark;
  private final int writesEach;
  final AtomicInteger writesDone = new AtomicInteger();
  final AtomicLong reads = new AtomicLong();
  private volatile String lastWriteAuthors = "none";

  /** Writers wait while {@link #writesDone} is at or past it. */
  final AtomicInteger writeGate = new AtomicInteger(Integer.MAX_VALUE);

  RaceWorkload(long seed, Database db, RaceReader reader, LongSupplier watermark, int writesEach) {
    this.seed = seed;
    this.db = db;
    this.reader = reader;
    this.watermark = watermark;
    this.writesEach = writesEach;
  }

  @FunctionalInterface
  interface Task {
    void run() throws Exception;
  }

  /**
   * A database with {@link #POSTS} posts of {@link #AUTHORS} users, and one more user with none;
   * Redis emptied.
   */
  static Database seededDatabase(String name) throws SQLException {
    Database db = TestServers.postgres().createDatabase(name);
    sql(
        db,
        "INSERT INTO users (id, name, email) SELECT g, 'u' || g, 'u' || g || '@x'"
            + " FROM generate_series(1, "
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

  int totalWrites() {
    return WRITERS * writesEach;
  }

  String figures() {
    return writesDone.get()
        + " writes, "
        + reads.get()
        + " reads, last write raced slow reads of the posts of authors "
        + lastWriteAuthors;
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
        SplittableRandom random = new SplittableRandom(seed * 17 + w);
        work.add(threads.submit(() -> write(random)));
      }
      for (int r = 0; r < READERS; r++) {
        SplittableRandom random = new SplittableRandom(seed * 31 + r);
        boolean slow = r % 2 == 0;
        work.add(threads.submit(() -> read(random, slow, reading)));
      }
      for (Future<?> f : work.subList(0, 1 + WRITERS)) {
        f.get();
      }
      List<Integer> raced = awaitSlowPostsReads(last);
      reading.set(false);
      lastWriteAuthors =
          raced.stream()
              .limit(LAST_WRITE_RACES)
              .map(String::valueOf)
              .collect(Collectors.joining(","));
      update(
          last,
          "UPDATE posts SET view_count = view_count + ? WHERE author_id IN ("
              + lastWriteAuthors
              + ")",
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

  private Void write(SplittableRandom random) throws Exception {
    try (Connection c = connect(db)) {
      for (int i = 0; i < writesEach; i++) {
        awaitGate();
        write(c, random);
        writesDone.incrementAndGet();
        pause(c); // a paced write load the pipeline keeps up with
      }
    }
    return null;
  }

  private Void read(SplittableRandom random, boolean slow, AtomicBoolean reading) throws Exception {
    try (Connection c = connect(db)) {
      RaceReader.Source source =
          slow
              ? (entry, author) -> slowRead(c, entry, author)
              : (entry, author) -> entry.load(c, author, READ_SECONDS);
      while (reading.get()) {
        RaceEntry entry = random.nextBoolean() ? RaceEntry.STATS : RaceEntry.POSTS;
        reader.read(source, entry, 1 + random.nextInt(AUTHORS));
        reads.incrementAndGet();
        // 5 ms of think time: hits alone would keep both cores busy, starving the pipeline
        // (misses take 300 ms anyway, so the races stay the same).
        LockSupport.parkNanos(5_000_000L);
      }
    }
    return null;
  }

  /**
   * Waits until slow reads of the posts of {@link #LAST_WRITE_RACES} authors are in their query.
   * Once readers have cached every entry nothing reads PostgreSQL any more, so every second without
   * them it rewrites every post as it is: a write that changes no value but evicts every author's
   * entries, which readers then load again.
   */
  private static List<Integer> awaitSlowPostsReads(Connection c) {
    AtomicLong nextTouch = new AtomicLong(System.nanoTime() + 1_000_000_000L);
    return await("slow reads of the posts of %d authors in their query".formatted(LAST_WRITE_RACES))
        // Readers served from memory (the near cache) reach PostgreSQL seldom: it can take long.
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(5))
        .until(
            () -> {
              if (System.nanoTime() >= nextTouch.get()) {
                try (Statement st = c.createStatement()) {
                  st.executeUpdate("UPDATE posts SET view_count = view_count");
                }
                nextTouch.set(System.nanoTime() + 1_000_000_000L);
              }
              return slowPostsReads(c);
            },
            authors -> authors.size() >= LAST_WRITE_RACES);
  }

  /** The authors whose posts a slow read is querying now, as PostgreSQL shows its sessions. */
  private static List<Integer> slowPostsReads(Connection c) throws SQLException {
    List<String> running = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT query FROM pg_stat_activity WHERE state = 'active'")) {
      while (rs.next()) {
        running.add(rs.getString(1));
      }
    }
    List<Integer> authors = new ArrayList<>();
    for (int a = 1; a <= AUTHORS; a++) {
      if (running.contains(RaceEntry.POSTS.query(a, SLOW_READ_SECONDS))) {
        authors.add(a);
      }
    }
    return authors;
  }

  /**
   * A load by a reader slower than the pipeline: its query takes {@link #SLOW_READ_SECONDS}, and it
   * returns only once every change committed before the query returned has been evicted (the
   * invalidator's watermark has passed PostgreSQL's WAL position then), or after {@link
   * #SLOW_READ_CAP} if a stage is down that long. Its fill then comes after the eviction of any
   * write it missed: the race that leaves a plain cache-aside stale, which readers that take a
   * fixed 300 ms win whenever a busy machine slows the pipeline down more than that.
   */
  private Map<String, Object> slowRead(Connection c, RaceEntry entry, int author)
      throws SQLException {
    Map<String, Object> value = entry.load(c, author, SLOW_READ_SECONDS);
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

  static Connection connect(Database db) throws SQLException {
    return DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
  }

  static void sql(Database db, String statement) throws SQLException {
    try (Connection c = connect(db);
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }
}
