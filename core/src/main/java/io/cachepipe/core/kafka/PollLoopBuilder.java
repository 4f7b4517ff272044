package io.cachepipe.core.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.common.TopicPartition;

/** Options of a {@link CommittingPollLoop}. */
public final class PollLoopBuilder<K, V> {
  final Consumer<K, V> consumer;
  final List<String> topics;
  final CommittingPollLoop.BatchHandler<K, V> handler;
  CommittingPollLoop.Commit commit = CommittingPollLoop.Commit.HANDLED;
  ConsumerRebalanceListener partitions = new NoStageListener();
  java.util.function.Consumer<Throwable> onFailure = e -> {};
  Duration commitInterval = CommitPacer.INTERVAL;

  PollLoopBuilder(
      Consumer<K, V> consumer, List<String> topics, CommittingPollLoop.BatchHandler<K, V> handler) {
    this.consumer = Objects.requireNonNull(consumer, "consumer");
    this.topics = List.copyOf(topics);
    this.handler = Objects.requireNonNull(handler, "handler");
  }

  /** Which offsets to commit; {@link CommittingPollLoop.Commit#HANDLED} by default. */
  public PollLoopBuilder<K, V> commit(CommittingPollLoop.Commit commit) {
    this.commit = Objects.requireNonNull(commit, "commit");
    return this;
  }

  /**
   * The stage's own bookkeeping of its partitions: told of revoked ones after their offsets were
   * committed, of assigned ones before {@link CommittingPollLoop#isAssigned} turns true.
   */
  public PollLoopBuilder<K, V> onRebalance(ConsumerRebalanceListener partitions) {
    this.partitions = Objects.requireNonNull(partitions, "partitions");
    return this;
  }

  /** Told if the loop fails while it runs; the sidecar ends the process. */
  public PollLoopBuilder<K, V> onFailure(java.util.function.Consumer<Throwable> onFailure) {
    this.onFailure = Objects.requireNonNull(onFailure, "onFailure");
    return this;
  }

  /** The least time between two paced commits; {@link CommitPacer#INTERVAL} by default. */
  public PollLoopBuilder<K, V> commitInterval(Duration commitInterval) {
    this.commitInterval = Objects.requireNonNull(commitInterval, "commitInterval");
    return this;
  }

  public CommittingPollLoop<K, V> build() {
    return new CommittingPollLoop<>(this);
  }

  private static final class NoStageListener implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {}
  }
}
