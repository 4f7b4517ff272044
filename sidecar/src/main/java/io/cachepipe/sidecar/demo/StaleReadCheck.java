package io.cachepipe.sidecar.demo;

import java.util.concurrent.atomic.LongAdder;

/**
 * Wraps a {@link DemoWorkload.StatsReader} and checks every value it serves against PostgreSQL: the
 * author's stats are queried right before the read and right after it, and the read is stale if the
 * value served equals neither. A value equal to either was the truth at some moment of the read (a
 * write that commits while the read is in flight is not counted against the cache). Two commits to
 * one author within one read could make a fresh value look stale; at the workloads' rates that is
 * rare, and it counts alike against every cache checked.
 */
final class StaleReadCheck implements DemoWorkload.StatsReader {

  private final DemoDatabase db;
  private final DemoWorkload.StatsReader cache;
  private volatile boolean counting;
  final LongAdder reads = new LongAdder();
  final LongAdder stale = new LongAdder();

  StaleReadCheck(DemoDatabase db, DemoWorkload.StatsReader cache) {
    this.db = db;
    this.cache = cache;
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
      }
    }
    return served;
  }
}
