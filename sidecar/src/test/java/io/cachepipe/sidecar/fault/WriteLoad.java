package io.cachepipe.sidecar.fault;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * A steady write load: single-row transactions at a fixed rate, each inserting a post that no other
 * write touches, for one of a few authors. So each committed write has a tag of its own ({@code
 * post:<id>}), which nothing can coalesce with another write's: the write is invalidated exactly
 * when an eviction of that tag is reported. Each insert also bumps its author's stats (post count,
 * total views), which readers cache.
 *
 * <p>A write counts as committed only when its commit returned: one whose connection broke
 * mid-commit may or may not be in the database, and is not counted either way.
 */
final class WriteLoad implements AutoCloseable {

  /**
   * A committed write: its post, author, and when its commit returned ({@link System#nanoTime}).
   */
  record Write(long postId, long author, long committedNanos) {
    String tag() {
      return "post:" + postId;
    }
  }

  static final String INSERT =
      "INSERT INTO posts (id, author_id, title, view_count) VALUES (?, ?, 'fault load', 1)";

  private final String jdbcUrl;
  private final String user;
  private final String password;
  private final List<Long> authors;
  private final double perSecond;
  private final AtomicLong nextPostId;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private volatile boolean paused;
  private final ConcurrentLinkedQueue<Write> committed = new ConcurrentLinkedQueue<>();
  private final LongAdder failures = new LongAdder();
  private volatile String statement = INSERT;
  private volatile String lastFailure = "";
  private Thread thread;
  private long startNanos;
  private long stopNanos;

  WriteLoad(
      String jdbcUrl,
      String user,
      String password,
      List<Long> authors,
      long firstPostId,
      double perSecond) {
    this.jdbcUrl = jdbcUrl;
    this.user = user;
    this.password = password;
    this.authors = List.copyOf(authors);
    this.nextPostId = new AtomicLong(firstPostId);
    this.perSecond = perSecond;
  }

  /** Starts writing, paced to the rate; a failed write is counted and the next one tried. */
  void start() {
    startNanos = System.nanoTime();
    thread = new Thread(this::run, "fault-write-load");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * From now on, writes run {@code sql}: an insert with the same two parameters (post id, author),
   * e.g. one that also sets a column added meanwhile.
   */
  void useStatement(String sql) {
    statement = sql;
  }

  private void run() {
    long interval = (long) (1e9 / perSecond);
    long next = System.nanoTime();
    Connection connection = null;
    int i = 0;
    while (running.get()) {
      if (paused) {
        LockSupport.parkNanos(interval); // pacing, not waiting for a condition
        next = System.nanoTime();
        continue;
      }
      long postId = nextPostId.getAndIncrement();
      long author = authors.get(i++ % authors.size());
      try {
        if (connection == null) {
          connection = DriverManager.getConnection(jdbcUrl, user, password);
        }
        try (PreparedStatement st = connection.prepareStatement(statement)) {
          st.setLong(1, postId);
          st.setLong(2, author);
          st.executeUpdate(); // autocommit: returns after the commit
        }
        committed.add(new Write(postId, author, System.nanoTime()));
      } catch (SQLException e) {
        failures.increment();
        lastFailure = e.getMessage();
        close(connection);
        connection = null;
      }
      next += interval;
      long wait = next - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait); // pacing, not waiting for a condition
      } else if (wait < -1_000_000_000L) {
        next = System.nanoTime(); // fell a second behind (the database was down): do not burst
      }
    }
    close(connection);
  }

  /** Stops writing for now (the write in progress may still commit), or goes on again. */
  void paused(boolean pause) {
    paused = pause;
  }

  /** Stops writing and waits for the write in progress. */
  @Override
  public void close() {
    running.set(false);
    if (thread != null) {
      try {
        thread.join(60_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    stopNanos = System.nanoTime();
  }

  /** The committed writes so far, oldest first. */
  List<Write> committed() {
    return new ArrayList<>(committed);
  }

  /** The committed writes whose commit returned before {@code nanos}. */
  List<Write> committedBefore(long nanos) {
    return committed.stream().filter(w -> w.committedNanos() <= nanos).toList();
  }

  long failures() {
    return failures.sum();
  }

  String lastFailure() {
    return lastFailure;
  }

  /** The rate the writes were committed at, over the load's life (until {@link #close()}). */
  double committedPerSecond() {
    long end = stopNanos == 0 ? System.nanoTime() : stopNanos;
    return committed.size() / ((end - startNanos) / 1e9);
  }

  double targetPerSecond() {
    return perSecond;
  }

  private static void close(Connection connection) {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException e) {
        // already broken
      }
    }
  }
}
