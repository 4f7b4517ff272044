package io.cachepipe.warmer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class EarlyStartsTest {

  private static final TopicPartition P0 = new TopicPartition("cachepipe.evictions", 0);
  private static final TopicPartition P1 = new TopicPartition("cachepipe.evictions", 1);

  private final EarlyStarts early = new EarlyStarts(10);

  @Test
  void reportsStartOnlyInOwnedPartitions() {
    assertThat(early.mayStart(0, 0)).as("before any assignment").isFalse();

    early.onPartitionsAssigned(List.of(P0));

    assertThat(early.mayStart(0, 0)).isTrue();
    assertThat(early.mayStart(1, 0)).as("another warmer's partition").isFalse();
  }

  @Test
  void aBacklogAtTheLimitLeavesReportsToTheConsumer() {
    early.onPartitionsAssigned(List.of(P0));

    assertThat(early.mayStart(0, 9)).isTrue();
    assertThat(early.mayStart(0, 10)).isFalse();
    assertThat(early.mayStart(0, 11)).isFalse();
  }

  @Test
  void theConsumerTakesWhatWasStartedForItsOffsetOnce() {
    early.onPartitionsAssigned(List.of(P0));
    CompletableFuture<Void> recomputes = new CompletableFuture<>();

    early.started(0, 42, recomputes);

    assertThat(early.take(0, 42)).isSameAs(recomputes);
    assertThat(early.take(0, 42)).as("taken already").isNull();
    assertThat(early.count()).isEqualTo(1);
  }

  @Test
  void takingAnOffsetForgetsTheEarlierOnesButNotTheLater() {
    early.onPartitionsAssigned(List.of(P0));
    CompletableFuture<Void> at5 = new CompletableFuture<>();
    CompletableFuture<Void> at7 = new CompletableFuture<>();
    CompletableFuture<Void> at9 = new CompletableFuture<>();
    early.started(0, 5, at5);
    early.started(0, 7, at7);
    early.started(0, 9, at9);

    assertThat(early.take(0, 7)).isSameAs(at7);

    assertThat(early.take(0, 5)).as("passed by the consumer").isNull();
    assertThat(early.take(0, 9)).isSameAs(at9);
  }

  @Test
  void nothingStartedForAnOffsetOrAPartitionIsNull() {
    early.onPartitionsAssigned(List.of(P0, P1));
    early.started(0, 3, new CompletableFuture<>());

    assertThat(early.take(0, 4)).isNull();
    assertThat(early.take(1, 3)).isNull();
  }

  @Test
  void aRevokedPartitionIsNoLongerStartedNorWaitedFor() {
    early.onPartitionsAssigned(List.of(P0, P1));
    early.started(0, 3, new CompletableFuture<>());
    CompletableFuture<Void> kept = new CompletableFuture<>();
    early.started(1, 3, kept);

    early.onPartitionsRevoked(List.of(P0));

    assertThat(early.mayStart(0, 0)).isFalse();
    assertThat(early.take(0, 3)).isNull();
    assertThat(early.mayStart(1, 0)).isTrue();
    assertThat(early.take(1, 3)).isSameAs(kept);
    assertThat(early.count()).as("reports started, whatever became of them").isEqualTo(2);
  }
}
