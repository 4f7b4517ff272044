package io.cachepipe.demo;

import io.cachepipe.client.CacheClient;
import io.cachepipe.core.redis.CacheKeys;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo application: writers that insert, update, move and delete posts and rename users, and
 * readers that read authors' stats through a {@link StatsReader} (the cache-client's {@link
 * #throughCache}), both at a fixed rate. Reads favour a hot set of authors, as real traffic does.
 */
public final class DemoWorkload implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DemoWorkload.class);
  static final Duration STATS_TTL = Duration.ofMinutes(5);

  private final DemoDatabase db;
  private final StatsReader reader;
  private final long users;
  private final AtomicLong maxPostId;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Thread> threads = new ArrayList<>();
  public final LongAdder writes = new LongAdder();
  public final LongAdder reads = new LongAdder();
  public final LongAdder errors = new LongAdder();

  /** How the application reads an author's stats: through the cache-client, or another cache. */
  @FunctionalInterface
  public interface StatsReader {
    UserStats read(long authorId) throws Exception;
  }

  public DemoWorkload(DemoDatabase db, StatsReader reader, long users, long maxPostId) {
    this.db = db;
    this.reader = reader;
    this.users = users;
    this.maxPostId = new AtomicLong(maxPostId);
  }

  /** Starts writer and reader threads, each pacing itself to its share of the rates. */
  public void start(int writers, double writeRate, int readers, double readRate, long seed) {
    for (int i = 0; i < writers; i++) {
      SplittableRandom random = new SplittableRandom(seed + i);
      threads.add(paced("demo-writer-" + i, writeRate / writers, () -> write(random)));
    }
    for (int i = 0; i < readers; i++) {
      SplittableRandom random = new SplittableRandom(seed + 1000 + i);
      threads.add(paced("demo-reader-" + i, readRate / readers, () -> read(random)));
    }
    threads.forEach(Thread::start);
  }

  /** A user's stats through cachepipe's cache-client, as the application reads them. */
  public static StatsReader throughCache(CacheClient cache, DemoDatabase db) {
    return authorId ->
        cache.get(
            CacheKeys.entry("user_stats", authorId),
            List.of("user:" + authorId),
            STATS_TTL,
            () -> db.userStats(authorId),
            UserStats.class);
  }

  private void read(SplittableRandom random) throws Exception {
    long hotAuthors = Math.max(1, users / 5);
    long author =
        random.nextInt(10) < 8 ? 1 + random.nextLong(hotAuthors) : 1 + random.nextLong(users);
    reader.read(author);
    reads.increment();
  }

  private void write(SplittableRandom random) throws SQLException {
    int dice = random.nextInt(100);
    long post = 1 + random.nextLong(maxPostId.get());
    long author = 1 + random.nextLong(users);
    try (Connection c = db.connection()) {
      if (dice < 20) {
        try (PreparedStatement st =
            c.prepareStatement(
                "INSERT INTO posts (author_id, title, body, tags, is_published, view_count)"
                    + " VALUES (?, 'new post', 'body', ARRAY['new'], true, ?) RETURNING id")) {
          st.setLong(1, author);
          st.setLong(2, random.nextInt(50));
          try (var rs = st.executeQuery()) {
            rs.next();
            maxPostId.accumulateAndGet(rs.getLong(1), Math::max);
          }
        }
      } else if (dice < 65) {
        update(
            c,
            "UPDATE posts SET view_count = view_count + ? WHERE id = ?",
            1 + random.nextInt(20),
            post);
      } else if (dice < 75) {
        update(c, "UPDATE posts SET author_id = ? WHERE id = ?", author, post);
      } else if (dice < 83) {
        update(c, "UPDATE posts SET is_deleted = NOT is_deleted WHERE id = ? AND ? > 0", post, 1);
      } else if (dice < 88) {
        update(c, "DELETE FROM posts WHERE id = ? AND ? > 0", post, 1);
      } else if (dice < 95) {
        update(
            c,
            "UPDATE users SET name = 'renamed ' || ?, updated_at = now() WHERE id = ?",
            random.nextInt(1000),
            author);
      } else {
        // Bulk SQL: many rows in one statement, as migrations and batch jobs do.
        update(c, "UPDATE posts SET view_count = view_count + ? WHERE author_id = ?", 1, author);
      }
    }
    writes.increment();
  }

  private static void update(Connection c, String sql, long a, long b) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(sql)) {
      st.setLong(1, a);
      st.setLong(2, b);
      st.executeUpdate();
    }
  }

  private Thread paced(String name, double perSecond, Step step) {
    long intervalNanos = (long) (1e9 / Math.max(perSecond, 0.001));
    return new Thread(
        () -> {
          long next = System.nanoTime();
          while (running.get()) {
            try {
              step.run();
            } catch (Exception e) {
              errors.increment();
              LOG.debug("{}: {}", name, e.getMessage());
            }
            next += intervalNanos;
            long wait = next - System.nanoTime();
            if (wait > 0) {
              LockSupport.parkNanos(wait);
            } else if (wait < -1_000_000_000L) {
              next = System.nanoTime(); // fell behind by a second: do not burst to catch up
            }
          }
        },
        name);
  }

  /** Stops every thread and waits for it. */
  @Override
  public void close() {
    running.set(false);
    for (Thread t : threads) {
      try {
        t.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @FunctionalInterface
  private interface Step {
    void run() throws Exception;
  }
}
