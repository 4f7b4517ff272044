package io.cachepipe.warmer;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * Runs work for keys in batches of up to {@code maxBatch}, with {@link SingleFlight}'s promise per
 * key: at most one run of a key at a time, plus at most one follow-up. A key submitted while its
 * run is in flight waits for a later batch (the run in flight may have read its inputs before the
 * change that caused the call); further submissions while it waits join it.
 *
 * <p>Keys submitted together are batched together: a storm of N keys given in one call costs
 * ⌈N/maxBatch⌉ runs. Keys that come one by one run as soon as a thread is free, with whatever else
 * waits by then, so batching never delays a key: it only gathers what the pool could not run yet.
 * Batches run in parallel up to the executor's threads. Thread-safe.
 *
 * @param <K> the key type
 * @param <V> what the work needs of each key
 */
final class BatchFlight<K, V> {

  private final Executor executor;
  private final int maxBatch;
  private final Consumer<Map<K, V>> work;

  /** Keys waiting for a batch, oldest first; a key here may also be running (its follow-up). */
  private final Map<K, Waiting<V>> waiting = new LinkedHashMap<>();

  private final Set<K> running = new HashSet<>();

  /** Whether a batch is submitted to the executor and has not taken its keys yet. */
  private boolean batchQueued;

  private record Waiting<V>(V value, CompletableFuture<Void> done) {}

  /**
   * @param executor runs the batches; a rejected submission fails the futures of every key waiting
   * @param maxBatch keys per batch, at most
   * @param work the batch: each key with its value (a failure fails the batch's futures)
   */
  BatchFlight(Executor executor, int maxBatch, Consumer<Map<K, V>> work) {
    if (maxBatch < 1) {
      throw new IllegalArgumentException("maxBatch must be at least 1, got " + maxBatch);
    }
    this.executor = executor;
    this.maxBatch = maxBatch;
    this.work = work;
  }

  /**
   * Runs the work for each of {@code keys} in the next batches (joining a key that waits already,
   * whose value then stands).
   *
   * @return completes when the runs that cover every one of them have finished
   */
  CompletableFuture<Void> submit(Map<K, V> keys) {
    List<CompletableFuture<Void>> covering = new ArrayList<>(keys.size());
    boolean start;
    synchronized (this) {
      keys.forEach(
          (key, value) ->
              covering.add(
                  waiting
                      .computeIfAbsent(key, k -> new Waiting<>(value, new CompletableFuture<>()))
                      .done()));
      start = queueBatchIfNeeded();
    }
    if (start) {
      startBatch();
    }
    return CompletableFuture.allOf(covering.toArray(CompletableFuture[]::new));
  }

  /** Keys waiting for a batch or in one. */
  synchronized int backlog() {
    return waiting.size() + running.size();
  }

  private void startBatch() {
    try {
      executor.execute(this::runBatch);
    } catch (RejectedExecutionException e) {
      List<CompletableFuture<Void>> failed = new ArrayList<>();
      synchronized (this) {
        batchQueued = false;
        waiting.values().forEach(w -> failed.add(w.done()));
        waiting.clear();
      }
      failed.forEach(f -> f.completeExceptionally(e));
    }
  }

  private void runBatch() {
    Map<K, Waiting<V>> batch = new LinkedHashMap<>();
    boolean startAnother;
    synchronized (this) {
      batchQueued = false;
      Iterator<Map.Entry<K, Waiting<V>>> it = waiting.entrySet().iterator();
      while (it.hasNext() && batch.size() < maxBatch) {
        Map.Entry<K, Waiting<V>> entry = it.next();
        if (running.add(entry.getKey())) {
          batch.put(entry.getKey(), entry.getValue());
          it.remove();
        }
      }
      startAnother = queueBatchIfNeeded();
    }
    if (startAnother) {
      startBatch(); // what this batch could not take runs beside it
    }
    if (batch.isEmpty()) {
      return;
    }
    Throwable failure = null;
    try {
      Map<K, V> values = new LinkedHashMap<>();
      batch.forEach((key, w) -> values.put(key, w.value()));
      work.accept(values);
    } catch (RuntimeException | Error e) {
      failure = e;
    }
    boolean startNext;
    synchronized (this) {
      running.removeAll(batch.keySet());
      startNext = queueBatchIfNeeded(); // the follow-ups of this batch's keys
    }
    for (Waiting<V> w : batch.values()) {
      if (failure == null) {
        w.done().complete(null);
      } else {
        w.done().completeExceptionally(failure);
      }
    }
    if (startNext) {
      startBatch();
    }
  }

  /** Marks a batch queued if a waiting key could run and none is queued; caller holds the lock. */
  private boolean queueBatchIfNeeded() {
    if (batchQueued) {
      return false;
    }
    for (K key : waiting.keySet()) {
      if (!running.contains(key)) {
        batchQueued = true;
        return true;
      }
    }
    return false;
  }
}
