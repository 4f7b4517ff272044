package io.cachepipe.warmer;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Waiting on latches inside work that a test holds back. */
final class Latches {

  private Latches() {}

  /** Waits for {@code latch}, at most 10 s, failing the work (not hanging the test) after. */
  static void await(CountDownLatch latch) {
    try {
      if (!latch.await(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("timed out");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
