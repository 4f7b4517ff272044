package io.cachepipe.warmer;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.common.TopicPartition;

/**
 * The recomputes a warmer started from the reports of the invalidator in its own process, before
 * its consumer reads those reports back: it starts them only for the evictions partitions it owns
 * (another warmer reads the rest) and while its backlog is below {@link #BACKLOG_LIMIT}; when the
 * consumer reaches a report, it takes the recomputes started for it instead of starting them again.
 *
 * <p>Reports arrive on the Kafka producer's I/O thread and are taken on the consumer's, so
 * everything here is thread-safe.
 */
final class EarlyStarts implements ConsumerRebalanceListener {

  /**
   * Recomputes queued or running above which reports from the invalidator in this process are left
   * to the consumer, whose polling is what holds a write storm back.
   */
  static final int BACKLOG_LIMIT = 1_000;

  private final int backlogLimit;
  private final Set<Integer> owned = ConcurrentHashMap.newKeySet();
  private final Map<Integer, ConcurrentNavigableMap<Long, CompletableFuture<Void>>> started =
      new ConcurrentHashMap<>();
  private final LongAdder count = new LongAdder();

  EarlyStarts() {
    this(BACKLOG_LIMIT);
  }

  EarlyStarts(int backlogLimit) {
    this.backlogLimit = backlogLimit;
  }

  @Override
  public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
    partitions.forEach(partition -> owned.add(partition.partition()));
  }

  /** Its reports are now another warmer's: what was started for them is no longer waited for. */
  @Override
  public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
    for (TopicPartition partition : partitions) {
      owned.remove(partition.partition());
      started.remove(partition.partition());
    }
  }

  /**
   * Whether a report in {@code partition} may start its recomputes now.
   *
   * @param backlog recomputes queued or running
   */
  boolean mayStart(int partition, long backlog) {
    return owned.contains(partition) && backlog < backlogLimit;
  }

  /**
   * Keeps the recomputes started for the report at {@code offset} until the consumer gets there.
   */
  void started(int partition, long offset, CompletableFuture<Void> recomputes) {
    count.increment();
    started.computeIfAbsent(partition, p -> new ConcurrentSkipListMap<>()).put(offset, recomputes);
  }

  /**
   * The recomputes already started for the report at {@code offset}, or null; forgets those of
   * earlier offsets, which the consumer has passed.
   */
  CompletableFuture<Void> take(int partition, long offset) {
    ConcurrentNavigableMap<Long, CompletableFuture<Void>> inPartition = started.get(partition);
    if (inPartition == null) {
      return null;
    }
    inPartition.headMap(offset).clear();
    return inPartition.remove(offset);
  }

  /** Reports whose recomputes were started here, before the consumer read them. */
  long count() {
    return count.sum();
  }
}
