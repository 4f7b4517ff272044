package io.cachepipe.core.concurrent;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What a stage tells its health check: when it last made progress, and what keeps it from making
 * any now ("retrying Redis for 12 s: connection refused"). The stage's own thread reports; any
 * thread reads.
 */
public final class StageProgress {

  private record Trouble(String what, Instant since, String reason) {}

  private final Clock clock;
  private final AtomicReference<Trouble> trouble = new AtomicReference<>();
  private volatile Instant lastProgress;

  public StageProgress() {
    this(Clock.systemUTC());
  }

  public StageProgress(Clock clock) {
    this.clock = clock;
    this.lastProgress = clock.instant();
  }

  /** The stage finished some work: whatever troubled it is over. */
  public void progressed() {
    lastProgress = clock.instant();
    trouble.set(null);
  }

  /**
   * The stage is held up: {@code what} it keeps trying ("retrying Redis"), since the first report
   * of the same {@code what}, and the latest {@code reason}.
   */
  public void failing(String what, String reason) {
    Instant now = clock.instant();
    trouble.updateAndGet(
        t -> new Trouble(what, t != null && t.what().equals(what) ? t.since() : now, reason));
  }

  /** The trouble is over, though no work was finished (there was none to do). */
  public void recovered() {
    trouble.set(null);
  }

  /** A short reason why the stage is held up, or null when it is not. */
  public String trouble() {
    Trouble t = trouble.get();
    if (t == null) {
      return null;
    }
    long seconds = Duration.between(t.since(), clock.instant()).toSeconds();
    return t.what() + " for " + seconds + " s: " + t.reason();
  }

  /** When the stage last finished some work (or was created). */
  public Instant lastProgress() {
    return lastProgress;
  }
}
