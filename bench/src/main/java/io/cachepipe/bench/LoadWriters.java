package io.cachepipe.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The load generator's writers, in a JVM of their own ({@link WriterProcess} starts it) so that the
 * benchmark's JVM runs the stages alone and its CPU is the pipeline's: connections that pace {@code
 * UPDATE posts SET view_count = …} transactions of one or more rows to an offered rate.
 *
 * <p>Usage: {@code LoadWriters <tx per second> <rows per tx> <connections> <seed> <posts>}, with
 * the database in {@code CACHEPIPE_BENCH_PG_URL}, {@code CACHEPIPE_BENCH_PG_USER} and {@code
 * PGPASSWORD} (not in argv, which {@code ps} shows). Prints {@code rows N} (rows committed so far)
 * every {@link #REPORT_MILLIS} ms; stops when its standard input ends, then prints the last count
 * and {@code done}. A writer that fails prints {@code failed <reason>} and ends the process.
 */
public final class LoadWriters {

  static final long REPORT_MILLIS = 100;

  private LoadWriters() {}

  public static void main(String[] args) throws Exception {
    double txPerSecond = Double.parseDouble(args[0]);
    int rowsPerTx = Integer.parseInt(args[1]);
    int connections = Integer.parseInt(args[2]);
    long seed = Long.parseLong(args[3]);
    long posts = Long.parseLong(args[4]);
    String url = System.getenv("CACHEPIPE_BENCH_PG_URL");
    String user = System.getenv("CACHEPIPE_BENCH_PG_USER");
    String password = System.getenv("PGPASSWORD");
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch failed = new CountDownLatch(1);
    LongAdder rows = new LongAdder();
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < connections; w++) {
      int index = w;
      Thread t =
          new Thread(
              () -> {
                try {
                  write(
                      url,
                      user,
                      password,
                      seed + index,
                      rowsPerTx,
                      txPerSecond / connections,
                      posts,
                      running,
                      rows);
                } catch (Exception e) {
                  failure.compareAndSet(null, e);
                  failed.countDown();
                }
              },
              "bench-writer-" + index);
      t.setDaemon(true);
      t.start();
      threads.add(t);
    }
    Thread stdin =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                while (in.readLine() != null) {
                  // nothing is asked: the end of input is the stop
                }
              } catch (Exception e) {
                // the parent is gone: stop
              }
              running.set(false);
              failed.countDown();
            },
            "bench-writers-stdin");
    stdin.setDaemon(true);
    stdin.start();
    while (running.get() && failure.get() == null) {
      failed.await(REPORT_MILLIS, TimeUnit.MILLISECONDS);
      out.println("rows " + rows.sum());
      out.flush();
    }
    running.set(false);
    for (Thread t : threads) {
      t.join(TimeUnit.SECONDS.toMillis(30));
    }
    if (failure.get() != null) {
      out.println("failed " + String.valueOf(failure.get().getMessage()).replace('\n', ' '));
      out.flush();
      System.exit(1);
    }
    out.println("rows " + rows.sum());
    out.println("done");
    out.flush();
    System.exit(0);
  }

  static void write(
      String url,
      String user,
      String password,
      long seed,
      int rowsPerTx,
      double txPerSecond,
      long posts,
      AtomicBoolean running,
      LongAdder rows)
      throws Exception {
    SplittableRandom random = new SplittableRandom(seed);
    String sql =
        rowsPerTx == 1
            ? "UPDATE posts SET view_count = view_count + 1 WHERE id = ?"
            : "UPDATE posts SET view_count = view_count + 1 WHERE id = ANY (?)";
    if (txPerSecond <= 0) {
      return; // a rate of 0: the idle step, nothing to write
    }
    try (Connection c = DriverManager.getConnection(url, user, password);
        PreparedStatement st = c.prepareStatement(sql)) {
      c.setAutoCommit(true);
      long begin = System.nanoTime();
      for (long i = 0; running.get(); i++) {
        long wait = begin + dueNanos(i, txPerSecond) - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
        if (rowsPerTx == 1) {
          st.setLong(1, 1 + random.nextLong(posts));
        } else {
          Long[] ids = new Long[rowsPerTx];
          for (int k = 0; k < rowsPerTx; k++) {
            ids[k] = 1 + random.nextLong(posts);
          }
          Array array = c.createArrayOf("bigint", ids);
          st.setArray(1, array);
        }
        rows.add(st.executeUpdate());
      }
    }
  }

  /**
   * When the {@code i}th transaction (from 0) of a writer offering {@code txPerSecond} is due, in
   * nanoseconds after its start. {@code txPerSecond} must be positive: at 0 every transaction after
   * the first would be due at infinity, which a {@code long} cannot hold (it overflowed into a park
   * that never ended, and the writers never stopped).
   */
  static long dueNanos(long i, double txPerSecond) {
    if (!(txPerSecond > 0)) {
      throw new IllegalArgumentException("a rate must be positive, got " + txPerSecond);
    }
    return (long) (i * 1e9 / txPerSecond);
  }
}
