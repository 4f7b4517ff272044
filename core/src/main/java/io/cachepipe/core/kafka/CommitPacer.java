package io.cachepipe.core.kafka;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * When a consumer loop that processes batches should commit its offsets: once some batch was
 * processed since the last commit, and at most once per interval. Each commit is a request to the
 * group coordinator; committing after every batch made the broker's busiest work at low rates. The
 * loop still commits on revoke and on stop, and a replay after a crash is at most one interval
 * more. Not thread-safe: the consumer's own thread uses it.
 */
public final class CommitPacer {

  /** The interval cachepipe's consumers use. */
  public static final Duration INTERVAL = Duration.ofMillis(100);

  private final long intervalNanos;
  private final LongSupplier nanoClock;
  private long lastCommit;
  private boolean uncommitted;

  /** Paces commits by {@link #INTERVAL} on the system's monotonic clock. */
  public CommitPacer() {
    this(INTERVAL, System::nanoTime);
  }

  /**
   * @param interval the least time between two commits
   * @param nanoClock a monotonic clock in nanoseconds
   */
  public CommitPacer(Duration interval, LongSupplier nanoClock) {
    this.intervalNanos = interval.toNanos();
    this.nanoClock = nanoClock;
    this.lastCommit = nanoClock.getAsLong();
  }

  /** A batch was processed: its offsets may be committed. */
  public void processed() {
    uncommitted = true;
  }

  /** Whether a batch was processed since the last commit. */
  public boolean uncommitted() {
    return uncommitted;
  }

  /**
   * Whether to commit now: a batch was processed since the last commit and the interval has passed
   * since it. If so, the caller commits and this counts as that commit.
   */
  public boolean due() {
    long now = nanoClock.getAsLong();
    if (!uncommitted || now - lastCommit < intervalNanos) {
      return false;
    }
    lastCommit = now;
    uncommitted = false;
    return true;
  }
}
