package io.cachepipe.bench;

import io.cachepipe.demo.DemoDatabase;
import io.cachepipe.demo.DemoWorkload;
import io.cachepipe.demo.UserStats;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wraps a {@link DemoWorkload.StatsReader} and checks every value it serves against PostgreSQL.
 *
 * <p>A read is <b>stale</b> if the value served equals neither the author's stats queried right
 * before the read nor those queried right after it. A value equal to either was the truth at some
 * moment of the read (a write that commits while the read is in flight is not counted against the
 * cache). Two commits to one author within one read could make a fresh value look stale; at the
 * workloads' rates that is rare, and it counts alike against every cache checked.
 *
 * <p>A stale read is also <b>still stale after the grace</b> if, {@code grace} after it, the cache
 * holds that very value (looked at without loading) and it is again neither the truth right before
 * nor right after the look: the cache had not repaired it within {@code grace} of the read, so
 * within {@code grace} of the write either, whatever its commit-to-eviction window.
 */
final class StaleReadCheck implements DemoWorkload.StatsReader, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(StaleReadCheck.class);

  private final DemoDatabase db;
  private final DemoWorkload.StatsReader cache;
  private final StatsPeek peek;
  private final Duration grace;
  private final ScheduledExecutorService rechecks =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "stale-recheck"));
  private volatile boolean counting;
  final LongAdder reads = new LongAdder();
  final LongAdder stale = new LongAdder();
  final LongAdder staleAfterGrace = new LongAdder();
  final LongAdder recheckErrors = new LongAdder();

  StaleReadCheck(DemoDatabase db, DemoWorkload.StatsReader cache, StatsPeek peek, Duration grace) {
    this.db = db;
    this.cache = cache;
    this.peek = peek;
    this.grace = grace;
  }

  /** Counts the reads from now on (the ones before are a warm-up). */
  void startCounting() {
    counting = true;
  }

  @Override
  public UserStats read(long authorId) throws Exception {
    UserStats before = db.userStats(authorId);
    UserStats served = cache.read(authorId);
    UserStats after = db.userStats(authorId);
    if (counting) {
      reads.increment();
      if (!served.equals(before) && !served.equals(after)) {
        stale.increment();
        rechecks.schedule(() -> recheck(authorId, served), grace.toMillis(), TimeUnit.MILLISECONDS);
      }
    }
    return served;
  }

  private void recheck(long authorId, UserStats served) {
    try {
      UserStats before = db.userStats(authorId);
      UserStats cached = peek.cached(authorId);
      UserStats after = db.userStats(authorId);
      if (served.equals(cached) && !cached.equals(before) && !cached.equals(after)) {
        staleAfterGrace.increment();
      }
    } catch (Exception e) {
      recheckErrors.increment();
      LOG.debug("recheck of author {}: {}", authorId, e.getMessage());
    }
  }

  /** Waits for the rechecks of the reads so far (each runs {@code grace} after its read). */
  @Override
  public void close() throws InterruptedException {
    rechecks.shutdown();
    if (!rechecks.awaitTermination(grace.toMillis() + 30_000, TimeUnit.MILLISECONDS)) {
      rechecks.shutdownNow();
    }
  }
}
