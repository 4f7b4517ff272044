package io.cachepipe.core.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cachepipe.core.kafka.CommittingPollLoop.Commit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The loop on Kafka's {@link MockConsumer}, driven from its poll tasks: each poll runs the next
 * scheduled task first, then returns the records added so far.
 */
class CommittingPollLoopTest {

  private static final String TOPIC = "cachepipe.test";
  private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
  private static final TopicPartition P1 = new TopicPartition(TOPIC, 1);
  private static final Duration NEVER = Duration.ofDays(1);

  private final ClosingConsumer consumer = new ClosingConsumer();
  private final List<ConsumerRecords<String, String>> batches = new ArrayList<>();
  private final CompletableFuture<Throwable> failure = new CompletableFuture<>();
  private final List<String> stageEvents = new ArrayList<>();
  private CommittingPollLoop<String, String> loop;

  @BeforeEach
  void partitions() {
    consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
  }

  private PollLoopBuilder<String, String> loop(
      CommittingPollLoop.BatchHandler<String, String> handler) {
    return CommittingPollLoop.builder(consumer, List.of(TOPIC), handler)
        .onFailure(failure::complete)
        .onRebalance(new StageListener());
  }

  private void recording(ConsumerRecords<String, String> records) {
    batches.add(records);
  }

  /** A handler that handles the first batch and fails on the second. */
  private static CommittingPollLoop.BatchHandler<String, String> failingOnSecondBatch(
      String message) {
    AtomicInteger calls = new AtomicInteger();
    return records -> {
      if (calls.incrementAndGet() == 2) {
        throw new IllegalStateException(message);
      }
    };
  }

  /** Schedules a poll that brings {@code count} records of {@code partition} from {@code from}. */
  private void records(TopicPartition partition, long from, int count) {
    consumer.schedulePollTask(
        () -> {
          for (long offset = from; offset < from + count; offset++) {
            consumer.addRecord(
                new ConsumerRecord<>(TOPIC, partition.partition(), offset, "k", "v" + offset));
          }
        });
  }

  private void assign(TopicPartition... partitions) {
    consumer.schedulePollTask(() -> consumer.rebalance(List.of(partitions)));
  }

  private void stopInPoll() {
    consumer.schedulePollTask(() -> loop.stop(Duration.ZERO));
  }

  /** The offset committed for {@code partition} (when the consumer was closed, once it is). */
  private Long committed(TopicPartition partition) {
    Map<TopicPartition, OffsetAndMetadata> committed =
        consumer.closed() ? consumer.committedAtClose : consumer.committed(Set.of(P0, P1));
    OffsetAndMetadata offset = committed.get(partition);
    return offset == null ? null : offset.offset();
  }

  @Test
  void nonEmptyPollsGoToTheHandlerAndTheirOffsetsAreCommittedOnStop() {
    loop = loop(this::recording).commitInterval(NEVER).build();
    assign(P0, P1);
    records(P0, 0, 3);
    consumer.scheduleNopPollTask();
    records(P1, 0, 2);
    stopInPoll();

    loop.run();

    assertThat(batches).extracting(ConsumerRecords::count).containsExactly(3, 2);
    assertThat(committed(P0)).isEqualTo(3);
    assertThat(committed(P1)).isEqualTo(2);
    assertThat(consumer.closed()).isTrue();
    assertThat(failure).isNotDone();
  }

  @Test
  void aHandledBatchIsCommittedOnceTheIntervalAllows() {
    loop = loop(this::recording).commitInterval(Duration.ZERO).build();
    List<Long> seenInNextPoll = new ArrayList<>();
    assign(P0);
    records(P0, 0, 3);
    consumer.schedulePollTask(() -> seenInNextPoll.add(committed(P0)));
    stopInPoll();

    loop.run();

    assertThat(seenInNextPoll).containsExactly(3L);
  }

  @Test
  void withoutAHandledBatchNothingIsCommitted() {
    loop = loop(this::recording).commitInterval(Duration.ZERO).build();
    assign(P0);
    consumer.scheduleNopPollTask();
    stopInPoll();

    loop.run();

    assertThat(batches).isEmpty();
    assertThat(committed(P0)).isNull();
  }

  @Test
  void revokedPartitionsAreCommittedBeforeTheStageForgetsThem() {
    loop = loop(this::recording).commitInterval(NEVER).build();
    assign(P0, P1);
    records(P0, 0, 4);
    assign(P1);
    stopInPoll();

    loop.run();

    // (The mock answers 0 for a partition it no longer owns: the stage saw the commit.)
    assertThat(stageEvents).contains("revoked [" + P0 + "] after commit 4");
  }

  @Test
  void afterAHandlerFailureTheBatchesHandledBeforeItAreCommittedButNotItsOwn() {
    loop = loop(failingOnSecondBatch("Redis is gone")).commitInterval(NEVER).build();
    assign(P0);
    records(P0, 0, 3);
    records(P0, 3, 2);

    loop.run();

    assertThat(failure).isCompletedWithValueMatching(e -> e.getMessage().equals("Redis is gone"));
    assertThat(committed(P0)).as("the first batch only").isEqualTo(3);
    assertThat(consumer.closed()).isTrue();
  }

  @Test
  void aLoopThatFailedSaysWhyAndIsNoLongerAssigned() {
    loop = loop(failingOnSecondBatch("Redis is gone")).build();
    List<String> failureBefore = new ArrayList<>();
    assign(P0);
    consumer.schedulePollTask(() -> failureBefore.add(String.valueOf(loop.failure())));
    records(P0, 0, 1);
    records(P0, 1, 1);

    loop.run();

    assertThat(failureBefore).containsExactly("null");
    assertThat(loop.failure()).isEqualTo("its consumer loop stopped: Redis is gone");
    assertThat(loop.isAssigned()).isFalse();
  }

  @Test
  void aLoopStoppedOnPurposeHasNoFailure() {
    loop = loop(this::recording).build();
    assign(P0);
    stopInPoll();

    loop.run();

    assertThat(loop.failure()).isNull();
  }

  /** A handler that asks for its first {@code refusals} batches to be handed again. */
  private CommittingPollLoop.BatchHandler<String, String> retryingFirst(
      int refusals, AtomicInteger calls) {
    return records -> {
      if (calls.incrementAndGet() <= refusals) {
        throw new RetryBatchLater("Redis is down", Duration.ZERO);
      }
      batches.add(records);
    };
  }

  @Test
  void aBatchToRetryLaterIsHeldOnPausedPartitionsWhileThePollsGoOn() {
    AtomicInteger calls = new AtomicInteger();
    loop = loop(retryingFirst(2, calls)).commitInterval(Duration.ZERO).build();
    List<Object> seenWhileHeld = new ArrayList<>();
    assign(P0);
    records(P0, 0, 3);
    consumer.schedulePollTask(
        () -> {
          seenWhileHeld.add(consumer.paused());
          seenWhileHeld.add(committed(P0));
          for (long offset = 3; offset < 5; offset++) {
            consumer.addRecord(new ConsumerRecord<>(TOPIC, 0, offset, "k", "v" + offset));
          }
        });
    consumer.scheduleNopPollTask();
    consumer.scheduleNopPollTask();
    consumer.scheduleNopPollTask();
    stopInPoll();

    loop.run();

    assertThat(seenWhileHeld).containsExactly(Set.of(P0), null);
    assertThat(calls).hasValue(4);
    assertThat(batches)
        .as("the held batch once done, then what came meanwhile")
        .extracting(ConsumerRecords::count)
        .containsExactly(3, 2);
    assertThat(batches.get(0).records(P0).get(0).offset()).isZero();
    assertThat(consumer.paused()).isEmpty();
    assertThat(committed(P0)).isEqualTo(5);
    assertThat(failure).isNotDone();
  }

  @Test
  void aHeldBatchOfARevokedPartitionIsLeftToItsNextOwner() {
    AtomicInteger calls = new AtomicInteger();
    loop = loop(retryingFirst(1, calls)).commitInterval(NEVER).build();
    assign(P0, P1);
    records(P0, 0, 3);
    assign(P1);
    records(P1, 0, 2);
    consumer.scheduleNopPollTask();
    stopInPoll();

    loop.run();

    assertThat(batches).extracting(ConsumerRecords::count).containsExactly(2);
    assertThat(batches.get(0).partitions()).containsExactly(P1);
    assertThat(stageEvents).contains("revoked [" + P0 + "] after commit null");
    assertThat(failure).isNotDone();
  }

  @Test
  void positionsAreCommittedOnStopAndOnRevoke() {
    loop = loop(this::recording).commit(Commit.POSITIONS).commitInterval(NEVER).build();
    assign(P0, P1);
    records(P0, 0, 3);
    assign(P1);
    records(P1, 0, 2);
    stopInPoll();

    loop.run();

    assertThat(stageEvents).contains("revoked [" + P0 + "] after commit 3");
    assertThat(committed(P1)).isEqualTo(2);
  }

  @Test
  void positionsPastAFailedBatchAreNeverCommitted() {
    loop =
        loop(failingOnSecondBatch("recompute failed"))
            .commit(Commit.POSITIONS)
            .commitInterval(NEVER)
            .build();
    assign(P0);
    records(P0, 0, 3);
    records(P0, 3, 2);

    loop.run();

    assertThat(failure).isCompleted();
    assertThat(committed(P0)).as("the position after the failed batch").isNull();
  }

  @Test
  void aFailureAfterStopIsNotReported() {
    loop =
        loop(records -> {
              loop.stop(Duration.ZERO);
              throw new IllegalStateException("closing");
            })
            .build();
    assign(P0);
    records(P0, 0, 1);

    loop.run();

    assertThat(failure).isNotDone();
    assertThat(consumer.closed()).isTrue();
  }

  @Test
  void aWakeupThatIsNotAStopIsAFailure() {
    loop = loop(this::recording).build();
    assign(P0);
    consumer.schedulePollTask(consumer::wakeup);

    loop.run();

    assertThat(failure).isCompletedWithValueMatching(WakeupException.class::isInstance);
  }

  @Test
  void isAssignedOnceTheGroupGaveItPartitionsEvenNone() {
    loop = loop(this::recording).build();
    List<Boolean> assignedBefore = new ArrayList<>();
    consumer.schedulePollTask(() -> assignedBefore.add(loop.isAssigned()));
    assign();
    consumer.schedulePollTask(() -> assignedBefore.add(loop.isAssigned()));
    stopInPoll();

    loop.run();

    assertThat(assignedBefore).containsExactly(false, true);
  }

  @Test
  void stopEndsTheLoopOnItsThreadAndClosesTheConsumer() {
    loop = loop(this::recording).build();
    assign(P0);
    loop.start("cachepipe-test-loop");
    await().atMost(Duration.ofSeconds(10)).until(loop::isAssigned);

    loop.stop(Duration.ofSeconds(10));

    assertThat(consumer.closed()).isTrue();
    assertThat(failure).isNotDone();
  }

  /** Keeps what was committed when the loop closed it (a closed mock answers nothing). */
  private static final class ClosingConsumer extends MockConsumer<String, String> {
    private Map<TopicPartition, OffsetAndMetadata> committedAtClose = Map.of();

    ClosingConsumer() {
      super("earliest");
    }

    @Override
    public synchronized void close(Duration timeout) {
      committedAtClose = new HashMap<>(committed(Set.of(P0, P1)));
      super.close(timeout);
    }
  }

  /** What the stage sees, with the committed offset of each revoked partition at that moment. */
  private final class StageListener implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      for (TopicPartition partition : partitions) {
        stageEvents.add("revoked [" + partition + "] after commit " + committed(partition));
      }
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      stageEvents.add("assigned " + partitions);
    }
  }
}
