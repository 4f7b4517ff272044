package io.cachepipe.core.concurrent;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A limit on a step of a stop that waits for a server: past it, the stopping thread is interrupted,
 * which makes the libraries' waits (Kafka clients, Debezium's engine) give up and go on stopping.
 * What a stop cut short left undone (offsets not stored, records not acknowledged) is replayed at
 * the next start, so a stop never has to wait for a server that is gone.
 *
 * <pre>{@code
 * try (StopDeadline deadline = StopDeadline.start(TIMEOUT, () -> LOG.warn("..."))) {
 *   client.close(); // may wait for ever while the server is unreachable
 * }
 * }</pre>
 */
public final class StopDeadline implements AutoCloseable {

  private static final ScheduledExecutorService WATCHDOG =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("cachepipe-stop-deadline"));

  private final AtomicBoolean over = new AtomicBoolean();
  private final CountDownLatch interrupted = new CountDownLatch(1);
  private final ScheduledFuture<?> interrupt;

  private StopDeadline(Duration timeout, Runnable onExpiry) {
    Thread stopping = Thread.currentThread();
    this.interrupt =
        WATCHDOG.schedule(
            () -> {
              if (over.compareAndSet(false, true)) {
                try {
                  onExpiry.run();
                } finally {
                  stopping.interrupt();
                  interrupted.countDown();
                }
              }
            },
            timeout.toNanos(),
            TimeUnit.NANOSECONDS);
  }

  /**
   * Interrupts the calling thread once, {@code timeout} from now, unless {@link #close()} came
   * first; {@code onExpiry} runs just before (to log what was cut short).
   */
  public static StopDeadline start(Duration timeout, Runnable onExpiry) {
    return new StopDeadline(timeout, onExpiry);
  }

  /** Whether the deadline passed and the thread was interrupted. */
  public boolean passed() {
    return interrupted.getCount() == 0;
  }

  /**
   * Ends the deadline, on the thread that started it. An interrupt of the deadline's that the step
   * did not consume is cleared: it was meant for the step, not for the caller.
   */
  @Override
  public void close() {
    if (over.compareAndSet(false, true)) {
      interrupt.cancel(false);
      return;
    }
    boolean done = false;
    while (!done) {
      try {
        interrupted.await(); // the interrupt may be on its way still
        done = true;
      } catch (InterruptedException e) {
        // the deadline's own interrupt: cleared below
      }
    }
    Thread.interrupted();
  }
}
