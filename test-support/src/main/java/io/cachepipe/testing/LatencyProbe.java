package io.cachepipe.testing;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * A reader that does one small request after another, pausing briefly between them, and keeps how
 * long each took: what a server's other clients see while something heavy runs on it. Its figures
 * are recorded, never asserted against a time (they depend on the machine).
 */
public final class LatencyProbe implements AutoCloseable {

  private static final long PAUSE_NANOS = 200_000;

  private final Runnable request;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread thread;
  private long[] nanos = new long[1 << 16];
  private int count;

  private LatencyProbe(Runnable request, String name) {
    this.request = request;
    this.thread = new Thread(this::run, name);
    thread.setDaemon(true);
  }

  /** Starts probing with {@code request} (on a thread of its own: it must be thread-confined). */
  public static LatencyProbe start(String name, Runnable request) {
    LatencyProbe probe = new LatencyProbe(request, name);
    probe.thread.start();
    return probe;
  }

  private void run() {
    while (running.get()) {
      long start = System.nanoTime();
      try {
        request.run();
      } catch (RuntimeException e) {
        // a failed request took as long as it took
      }
      record(System.nanoTime() - start);
      LockSupport.parkNanos(PAUSE_NANOS);
    }
  }

  private synchronized void record(long value) {
    if (count == nanos.length) {
      nanos = Arrays.copyOf(nanos, count * 2);
    }
    nanos[count++] = value;
  }

  /** How many requests it made. */
  public synchronized int count() {
    return count;
  }

  /** The 99th percentile of the requests' times, in milliseconds. */
  public synchronized double p99Millis() {
    if (count == 0) {
      return 0;
    }
    long[] sorted = Arrays.copyOf(nanos, count);
    Arrays.sort(sorted);
    return sorted[Math.min(count - 1, (int) (count * 0.99))] / 1e6;
  }

  /** The longest request's time, in milliseconds. */
  public synchronized double maxMillis() {
    return Arrays.stream(nanos, 0, count).max().orElse(0) / 1e6;
  }

  /** Stops probing and waits for the last request. */
  @Override
  public void close() {
    running.set(false);
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
