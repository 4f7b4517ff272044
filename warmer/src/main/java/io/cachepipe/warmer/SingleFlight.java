package io.cachepipe.warmer;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs work per key, at most one run of a key at a time, plus at most one follow-up: a call for a
 * key whose run is in flight schedules one more run after it (the in-flight one may have read its
 * inputs before the change that caused the call), and further calls while that follow-up waits join
 * it. So a burst of invalidations of one entry costs one recompute in flight and one after.
 * Thread-safe.
 *
 * @param <K> the key type
 */
final class SingleFlight<K> {

  private final Executor executor;
  private final Map<K, Flight> flights = new HashMap<>();

  private static final class Flight {
    CompletableFuture<Void> followUp;
    Runnable followUpWork;
  }

  /**
   * @param executor runs the work; a rejected submission completes the call's future exceptionally
   */
  SingleFlight(Executor executor) {
    this.executor = executor;
  }

  /**
   * Runs {@code work} for {@code key} now, or after the key's run in flight (joining a follow-up
   * already waiting, whose work then runs instead).
   *
   * @return completes when the run that covers this call has finished
   */
  CompletableFuture<Void> run(K key, Runnable work) {
    CompletableFuture<Void> done;
    synchronized (flights) {
      Flight flight = flights.get(key);
      if (flight != null) {
        if (flight.followUp == null) {
          flight.followUp = new CompletableFuture<>();
          flight.followUpWork = work;
        }
        return flight.followUp;
      }
      flights.put(key, new Flight());
      done = new CompletableFuture<>();
    }
    start(key, work, done);
    return done;
  }

  /** Keys with a run in flight. */
  int inFlight() {
    synchronized (flights) {
      return flights.size();
    }
  }

  private void start(K key, Runnable work, CompletableFuture<Void> done) {
    try {
      executor.execute(
          () -> {
            Throwable failure = null;
            try {
              work.run();
            } catch (RuntimeException | Error e) {
              failure = e;
            }
            finished(key);
            if (failure == null) {
              done.complete(null);
            } else {
              done.completeExceptionally(failure);
            }
          });
    } catch (RejectedExecutionException e) {
      finished(key);
      done.completeExceptionally(e);
    }
  }

  /** Starts the key's follow-up, if one waits, or ends its flight. */
  private void finished(K key) {
    Runnable next;
    CompletableFuture<Void> nextDone;
    synchronized (flights) {
      Flight flight = flights.get(key);
      if (flight.followUp == null) {
        flights.remove(key);
        return;
      }
      next = flight.followUpWork;
      nextDone = flight.followUp;
      flight.followUp = null;
      flight.followUpWork = null;
    }
    start(key, next, nextDone);
  }
}
