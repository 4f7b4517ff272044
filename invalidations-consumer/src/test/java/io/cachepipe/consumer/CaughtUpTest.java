package io.cachepipe.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.core.change.Watermark;
import java.util.List;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class CaughtUpTest {

  private static final TopicPartition P0 = new TopicPartition("inv", 0);
  private static final TopicPartition P1 = new TopicPartition("inv", 1);

  private final CaughtUp caughtUp = new CaughtUp();

  @Test
  void thePositionIsTheLowestMarkOnceEveryPartitionHasOneFromEverySource() {
    caughtUp.assigned(List.of(P0, P1));
    caughtUp.observe(P0, Watermark.of(100, 0, 2), 1_000);
    caughtUp.observe(P0, Watermark.of(120, 1, 2), 1_010);
    assertThat(caughtUp.position()).as("partition 1 has no mark yet").isEqualTo(-1);
    caughtUp.observe(P1, Watermark.of(90, 0, 2), 1_020);
    assertThat(caughtUp.position()).as("partition 1 has no mark of source 1").isEqualTo(-1);

    assertThat(caughtUp.observe(P1, Watermark.of(150, 1, 2), 1_030)).isTrue();

    assertThat(caughtUp.position()).isEqualTo(90);
    assertThat(caughtUp.newestPosition()).isEqualTo(150);
    assertThat(caughtUp.oldestMarkMillis()).isEqualTo(1_000);
  }

  @Test
  void anOlderMarkNeverMovesThePositionBack() {
    caughtUp.assigned(List.of(P0));
    caughtUp.observe(P0, Watermark.of(200, 0, 1), 5);

    assertThat(caughtUp.observe(P0, Watermark.of(150, 0, 1), 6)).isFalse();

    assertThat(caughtUp.position()).isEqualTo(200);
  }

  @Test
  void aNewPartitionMakesThePositionUnknownUntilItsMarksArrive() {
    caughtUp.assigned(List.of(P0));
    caughtUp.observe(P0, Watermark.of(200, 0, 1), 5);

    caughtUp.assigned(List.of(P1));

    assertThat(caughtUp.position()).isEqualTo(-1);
    caughtUp.observe(P1, Watermark.of(180, 0, 1), 6);
    assertThat(caughtUp.position()).isEqualTo(180);
  }

  @Test
  void aRevokedPartitionNoLongerHoldsThePositionBack() {
    caughtUp.assigned(List.of(P0, P1));
    caughtUp.observe(P0, Watermark.of(300, 0, 1), 5);
    caughtUp.observe(P1, Watermark.of(100, 0, 1), 6);

    caughtUp.revoked(List.of(P1));

    assertThat(caughtUp.position()).isEqualTo(300);
    assertThat(caughtUp.observe(P1, Watermark.of(400, 0, 1), 7))
        .as("a mark of a partition no longer owned")
        .isFalse();
  }

  @Test
  void nothingOwnedIsNotCaughtUp() {
    assertThat(caughtUp.position()).isEqualTo(-1);
    assertThat(caughtUp.newestPosition()).isEqualTo(-1);
    assertThat(caughtUp.oldestMarkMillis()).isEqualTo(-1);
  }

  @Test
  void awaitReturnsOnceThePositionIsReachedAndFalseWhenItIsNot() throws Exception {
    caughtUp.assigned(List.of(P0));
    assertThat(caughtUp.await(10, 1_000_000)).isFalse();
    Thread marker = new Thread(() -> caughtUp.observe(P0, Watermark.of(10, 0, 1), 1));
    marker.start();

    assertThat(caughtUp.await(10, 30_000_000_000L)).isTrue();
    marker.join();
  }
}
