package io.cachepipe.warmer;

import static io.cachepipe.warmer.Latches.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SingleFlightTest {

  private final ExecutorService pool = Executors.newFixedThreadPool(4);
  private final SingleFlight<String> flights = new SingleFlight<>(pool);

  @AfterEach
  void stopPool() {
    pool.shutdownNow();
  }

  @Test
  void aBurstForOneKeyWhileItRunsGivesOneFollowUpThatCoversEveryCall() throws Exception {
    CountDownLatch firstStarted = new CountDownLatch(1);
    CountDownLatch releaseFirst = new CountDownLatch(1);
    AtomicInteger runs = new AtomicInteger();
    AtomicInteger concurrent = new AtomicInteger();
    AtomicInteger maxConcurrent = new AtomicInteger();
    Runnable work =
        () -> {
          maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
          if (runs.incrementAndGet() == 1) {
            firstStarted.countDown();
            await(releaseFirst);
          }
          concurrent.decrementAndGet();
        };

    CompletableFuture<Void> first = flights.run("cp:user_stats:42", work);
    assertThat(firstStarted.await(10, TimeUnit.SECONDS)).isTrue();
    List<CompletableFuture<Void>> burst = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      burst.add(flights.run("cp:user_stats:42", work));
    }
    assertThat(burst).allMatch(f -> !f.isDone());
    releaseFirst.countDown();

    first.get(10, TimeUnit.SECONDS);
    CompletableFuture.allOf(burst.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
    assertThat(runs).hasValue(2);
    assertThat(maxConcurrent).hasValue(1);
    assertThat(flights.inFlight()).isZero();
  }

  @Test
  void differentKeysRunAtTheSameTime() throws Exception {
    CountDownLatch bothRunning = new CountDownLatch(2);
    CompletableFuture<Void> a = flights.run("a", () -> await(countDownAndWait(bothRunning)));
    CompletableFuture<Void> b = flights.run("b", () -> await(countDownAndWait(bothRunning)));

    CompletableFuture.allOf(a, b).get(10, TimeUnit.SECONDS);
    assertThat(bothRunning.getCount()).isZero();
  }

  @Test
  void aFailedRunFailsItsFutureAndTheKeyRunsAgainLater() throws Exception {
    CompletableFuture<Void> failed =
        flights.run(
            "k",
            () -> {
              throw new IllegalStateException("query failed");
            });
    assertThatThrownBy(() -> failed.join())
        .isInstanceOf(CompletionException.class)
        .hasRootCauseMessage("query failed");

    AtomicInteger runs = new AtomicInteger();
    flights.run("k", runs::incrementAndGet).get(10, TimeUnit.SECONDS);
    assertThat(runs).hasValue(1);
  }

  @Test
  void aRejectedSubmissionFailsItsFutureAndFreesTheKey() throws Exception {
    pool.shutdown();
    CompletableFuture<Void> rejected = flights.run("k", () -> {});
    assertThat(rejected).isCompletedExceptionally();
    assertThat(flights.inFlight()).isZero();
  }

  /** Counts down, then waits for the others: proves the runs overlap. */
  private static CountDownLatch countDownAndWait(CountDownLatch latch) {
    latch.countDown();
    return latch;
  }
}
