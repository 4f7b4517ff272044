package io.cachepipe.warmer;

import io.cachepipe.core.warm.WarmableEntry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The recomputes of the warm kinds that have a batch query: per kind, a {@link BatchFlight} that
 * gathers the entries due together into batch queries ({@link BatchRecomputer}). Thread-safe.
 */
final class BatchedKinds {

  private final Map<String, BatchFlight<String, Map<String, String>>> byName =
      new LinkedHashMap<>();

  /**
   * @param kinds every warm kind; those without a batch query are not handled here
   * @param executor runs the batches
   */
  BatchedKinds(List<WarmableEntry> kinds, Executor executor, BatchRecomputer recomputer) {
    for (WarmableEntry kind : kinds) {
      kind.batch()
          .ifPresent(
              batch ->
                  byName.put(
                      kind.name(),
                      new BatchFlight<>(
                          executor, batch.size(), due -> recomputer.recompute(kind, due))));
    }
  }

  /** Whether {@code kind}'s entries are recomputed here. */
  boolean handles(WarmableEntry kind) {
    return byName.containsKey(kind.name());
  }

  /**
   * Recomputes {@code due} (key to key placeholders), entries of {@code kind}, in as few batches as
   * the kind's batch size allows.
   *
   * @return completes when the recomputes that cover them have finished
   */
  CompletableFuture<Void> submit(WarmableEntry kind, Map<String, Map<String, String>> due) {
    return byName.get(kind.name()).submit(due);
  }

  /** Entries waiting for a batch or in one. */
  long backlog() {
    long backlog = 0;
    for (BatchFlight<String, Map<String, String>> flight : byName.values()) {
      backlog += flight.backlog();
    }
    return backlog;
  }

  /** The kinds, for the log: {@code user_stats (row), latest_posts (list, batches of 100)}. */
  static String describe(List<WarmableEntry> kinds) {
    List<String> out = new ArrayList<>();
    for (WarmableEntry kind : kinds) {
      out.add(
          kind.name()
              + " ("
              + kind.shape().label()
              + kind.batch().map(b -> ", batches of up to " + b.size()).orElse("")
              + ")");
    }
    return String.join(", ", out);
  }
}
