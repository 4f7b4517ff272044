package io.cachepipe.warmer;

import static io.cachepipe.warmer.Latches.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BatchFlightTest {

  private final ExecutorService pool = Executors.newFixedThreadPool(4);
  private final List<List<String>> batches = Collections.synchronizedList(new ArrayList<>());

  @AfterEach
  void stopPool() {
    pool.shutdownNow();
  }

  @Test
  void keysSubmittedTogetherRunInBatchesOfAtMostTheMaximum() throws Exception {
    BatchFlight<String, Integer> flight = new BatchFlight<>(pool, 100, record());

    flight.submit(keys("k", 250)).get(10, TimeUnit.SECONDS);

    assertThat(batches).map(List::size).containsExactlyInAnyOrder(100, 100, 50);
    assertThat(batches.stream().flatMap(List::stream).distinct()).hasSize(250);
    assertThat(flight.backlog()).isZero();
  }

  @Test
  void aKeySubmittedWhileItsBatchRunsHasOneFollowUpThatABurstJoins() throws Exception {
    CountDownLatch firstStarted = new CountDownLatch(1);
    CountDownLatch releaseFirst = new CountDownLatch(1);
    AtomicInteger concurrent = new AtomicInteger();
    AtomicInteger maxConcurrent = new AtomicInteger();
    BatchFlight<String, Integer> flight =
        new BatchFlight<>(
            pool,
            10,
            batch -> {
              maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
              batches.add(List.copyOf(batch.keySet()));
              if (batches.size() == 1) {
                firstStarted.countDown();
                await(releaseFirst);
              }
              concurrent.decrementAndGet();
            });

    CompletableFuture<Void> first = flight.submit(Map.of("a", 1));
    assertThat(firstStarted.await(10, TimeUnit.SECONDS)).isTrue();
    List<CompletableFuture<Void>> burst = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      burst.add(flight.submit(Map.of("a", 1)));
    }
    assertThat(burst).allMatch(f -> !f.isDone());
    releaseFirst.countDown();

    first.get(10, TimeUnit.SECONDS);
    CompletableFuture.allOf(burst.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
    assertThat(batches).containsExactly(List.of("a"), List.of("a"));
    assertThat(maxConcurrent).hasValue(1);
  }

  @Test
  void keysArrivingOneByOneWhileTheThreadIsBusyAreGatheredIntoTheNextBatch() throws Exception {
    ExecutorService one = Executors.newSingleThreadExecutor();
    CountDownLatch firstStarted = new CountDownLatch(1);
    CountDownLatch releaseFirst = new CountDownLatch(1);
    try {
      BatchFlight<String, Integer> flight =
          new BatchFlight<>(
              one,
              10,
              batch -> {
                batches.add(List.copyOf(batch.keySet()));
                if (batches.size() == 1) {
                  firstStarted.countDown();
                  await(releaseFirst);
                }
              });
      CompletableFuture<Void> first = flight.submit(Map.of("a", 1));
      assertThat(firstStarted.await(10, TimeUnit.SECONDS)).isTrue();
      List<CompletableFuture<Void>> later = new ArrayList<>();
      for (String key : List.of("b", "c", "d")) {
        later.add(flight.submit(Map.of(key, 1)));
      }
      assertThat(flight.backlog()).isEqualTo(4);
      releaseFirst.countDown();

      CompletableFuture.allOf(later.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
      assertThat(first).isDone();
      assertThat(batches).containsExactly(List.of("a"), List.of("b", "c", "d"));
    } finally {
      one.shutdownNow();
    }
  }

  @Test
  void aFailedBatchFailsItsFuturesAndItsKeysRunAgainLater() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    BatchFlight<String, Integer> flight =
        new BatchFlight<>(
            pool,
            10,
            batch -> {
              if (runs.incrementAndGet() == 1) {
                throw new IllegalStateException("query failed");
              }
            });

    CompletableFuture<Void> failed = flight.submit(keys("k", 3));
    assertThatThrownBy(failed::join)
        .isInstanceOf(CompletionException.class)
        .hasRootCauseMessage("query failed");

    flight.submit(keys("k", 3)).get(10, TimeUnit.SECONDS);
    assertThat(runs).hasValue(2);
  }

  @Test
  void aRejectedSubmissionFailsTheWaitingKeysAndFreesThem() {
    pool.shutdown();
    BatchFlight<String, Integer> flight = new BatchFlight<>(pool, 10, record());

    assertThat(flight.submit(keys("k", 3))).isCompletedExceptionally();
    assertThat(flight.backlog()).isZero();
  }

  private Consumer<Map<String, Integer>> record() {
    return batch -> batches.add(List.copyOf(batch.keySet()));
  }

  private static Map<String, Integer> keys(String prefix, int n) {
    Map<String, Integer> keys = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      keys.put(prefix + i, i);
    }
    return keys;
  }
}
