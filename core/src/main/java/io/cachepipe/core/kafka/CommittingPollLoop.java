package io.cachepipe.core.kafka;

import io.cachepipe.core.concurrent.DaemonThreads;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer loop of a stage that processes what it reads a poll at a time and commits only what
 * it has finished: it subscribes, hands each non-empty poll to the stage's {@link BatchHandler},
 * and commits asynchronously once a batch is done (paced by a {@link CommitPacer}), synchronously
 * when partitions are revoked, and when the loop stops. So an offset never passes a record whose
 * work is unfinished: a crash replays, it never skips.
 *
 * <p>A handler that cannot finish its batch yet for a passing reason throws {@link
 * RetryBatchLater}: the loop pauses its partitions and keeps polling, so that the consumer stays in
 * its group however long the trouble lasts, and hands the same batch again later (without the
 * records of partitions it lost meanwhile: their next owner replays them).
 *
 * <p>{@link #stop} wakes a waiting poll. A failure of the handler or the consumer while the loop
 * runs ends it and is reported to the stage (failures after {@link #stop} are expected and not).
 * The consumer is closed when the loop ends and must not be used by anything else meanwhile, except
 * for its thread-safe {@code metrics()} and {@code wakeup()}.
 *
 * @param <K> the record key type
 * @param <V> the record value type
 */
public final class CommittingPollLoop<K, V> {

  private static final Logger LOG = LoggerFactory.getLogger(CommittingPollLoop.class);
  private static final Duration POLL = Duration.ofMillis(100);

  /**
   * How long the loop's end waits for Kafka: for the last commit, then again for the consumer's
   * close. With Kafka up each takes milliseconds; with Kafka gone a commit would wait the
   * consumer's {@code default.api.timeout.ms} (60 s), and a stop must not. A commit cut short only
   * means that the next owner of the partitions, or the next start, replays a little more.
   */
  private static final Duration CLOSE = Duration.ofSeconds(1);

  /** The stage's work on one poll's records. */
  @FunctionalInterface
  public interface BatchHandler<K, V> {
    /** Processes {@code records}; returns once they are done, so their offsets may be committed. */
    void handle(ConsumerRecords<K, V> records);
  }

  /** Which offsets the loop commits. */
  public enum Commit {
    /**
     * Per partition, the offset after the last record of the batches handled. A handler that fails
     * leaves them as they were, so they are committed on stop after a failure too.
     */
    HANDLED,
    /**
     * The consumer's positions in every assigned partition, as the handler left them. A handler
     * that failed mid-batch leaves them past records it never finished: they are then not
     * committed, neither on revoke nor on stop.
     */
    POSITIONS
  }

  private final Consumer<K, V> consumer;
  private final List<String> topics;
  private final BatchHandler<K, V> handler;
  private final Commit commit;
  private final ConsumerRebalanceListener partitions;
  private final java.util.function.Consumer<Throwable> onFailure;
  private final CommitPacer pacer;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Map<TopicPartition, OffsetAndMetadata> handled = new HashMap<>();
  private volatile boolean assigned;
  private volatile String failure;
  private volatile Thread thread;

  /** Whether the handler was given a batch and has not finished it. */
  private boolean batchUnfinished;

  /**
   * Whether the loop's last commit was made (or tried): the consumer's close then revokes its
   * partitions, which must not wait for Kafka a second time.
   */
  private boolean committedOnStop;

  /** The batch the handler asked to be given again later, or null. */
  private HeldBatch<K, V> held;

  CommittingPollLoop(PollLoopBuilder<K, V> builder) {
    this.consumer = builder.consumer;
    this.topics = builder.topics;
    this.handler = builder.handler;
    this.commit = builder.commit;
    this.partitions = builder.partitions;
    this.onFailure = builder.onFailure;
    this.pacer = new CommitPacer(builder.commitInterval, System::nanoTime);
  }

  /**
   * A loop that reads {@code topics} with {@code consumer} and hands each poll's records to {@code
   * handler}; by default it commits {@link Commit#HANDLED} offsets, at most every {@link
   * CommitPacer#INTERVAL}.
   */
  public static <K, V> PollLoopBuilder<K, V> builder(
      Consumer<K, V> consumer, List<String> topics, BatchHandler<K, V> handler) {
    return new PollLoopBuilder<>(consumer, topics, handler);
  }

  /** Runs the loop on a new daemon thread called {@code threadName}. */
  public void start(String threadName) {
    thread = DaemonThreads.start(threadName, this::run);
  }

  /**
   * Stops the loop: wakes its poll, lets the batch being handled finish, commits and closes the
   * consumer; waits for that at most {@code wait} when the loop runs on its own thread.
   */
  public void stop(Duration wait) {
    running.set(false);
    consumer.wakeup();
    Thread loop = thread;
    if (loop != null && loop != Thread.currentThread()) {
      try {
        loop.join(wait.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Whether the consumer has joined its group and was given partitions (possibly none); false once
   * the loop failed.
   */
  public boolean isAssigned() {
    return assigned && failure == null;
  }

  /** Why the loop ended by itself (it reads nothing more), or null while it has not. */
  public String failure() {
    return failure;
  }

  /** Runs the loop on the calling thread until it is stopped or fails. */
  void run() {
    try {
      consumer.subscribe(topics, new CommitOnRevoke());
      while (running.get()) {
        ConsumerRecords<K, V> records = consumer.poll(POLL);
        if (held != null) {
          readAgainLater(records);
          if (held != null && held.isDue(System.nanoTime())) {
            handle(held.records());
          }
        } else if (!records.isEmpty()) {
          handle(records);
        }
        if (held == null && pacer.due()) {
          commitAsync();
        }
      }
    } catch (WakeupException e) {
      failed(e); // unless stop() woke it
    } catch (RuntimeException e) {
      failed(e);
    } finally {
      commitOnStop();
      committedOnStop = true;
      consumer.close(CLOSE);
    }
  }

  private void handle(ConsumerRecords<K, V> records) {
    batchUnfinished = true;
    try {
      handler.handle(records);
    } catch (RetryBatchLater later) {
      long due = System.nanoTime() + later.after().toNanos();
      if (held == null) {
        LOG.warn("holding a batch of {} from {}: {}", records.count(), topics, later.getMessage());
        held = new HeldBatch<>(records, due);
        consumer.pause(consumer.assignment());
        // Positions back at the batch, so that committing positions never passes it.
        for (TopicPartition partition : records.partitions()) {
          consumer.seek(partition, records.records(partition).get(0).offset());
        }
      } else {
        held.dueAt(due);
      }
      return;
    }
    batchUnfinished = false;
    if (held != null) {
      for (TopicPartition partition : records.partitions()) {
        List<ConsumerRecord<K, V>> list = records.records(partition);
        consumer.seek(partition, list.get(list.size() - 1).offset() + 1);
      }
      held = null;
      consumer.resume(consumer.paused());
      LOG.info("the held batch of {} is done; reading on", topics);
    }
    finished(records);
  }

  /**
   * While a batch is held its partitions are paused; a poll that still brings records (of a
   * partition assigned meanwhile) is rewound, so they are read again once the batch is done.
   */
  private void readAgainLater(ConsumerRecords<K, V> polled) {
    for (TopicPartition partition : polled.partitions()) {
      consumer.seek(partition, polled.records(partition).get(0).offset());
    }
    consumer.pause(consumer.assignment());
  }

  /** Partitions gone (revoked or lost): their records in a held batch are left to their owner. */
  private void forgetHeld(Collection<TopicPartition> gone) {
    if (held != null && !held.drop(gone)) {
      held = null;
      batchUnfinished = false;
      consumer.resume(consumer.paused());
    }
  }

  private void failed(RuntimeException e) {
    if (running.get()) {
      LOG.error("consumer loop of {} failed: {}", topics, e.getMessage(), e);
      failure =
          "its consumer loop stopped: "
              + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
      onFailure.accept(e);
    }
  }

  private void finished(ConsumerRecords<K, V> records) {
    if (commit == Commit.HANDLED) {
      for (TopicPartition partition : records.partitions()) {
        List<ConsumerRecord<K, V>> list = records.records(partition);
        handled.put(partition, new OffsetAndMetadata(list.get(list.size() - 1).offset() + 1));
      }
    }
    pacer.processed();
  }

  private void commitAsync() {
    switch (commit) {
      case HANDLED -> consumer.commitAsync(Map.copyOf(handled), null);
      case POSITIONS -> consumer.commitAsync();
    }
  }

  private void commitOnStop() {
    switch (commit) {
      case HANDLED -> {
        if (!handled.isEmpty()) {
          commitQuietly(handled, CLOSE);
        }
      }
      case POSITIONS -> {
        if (pacer.uncommitted() && !batchUnfinished) {
          commitQuietly(null, CLOSE);
        }
      }
    }
  }

  /**
   * Commits {@code offsets}, or the consumer's positions if null, waiting at most {@code timeout}
   * (null: the consumer's {@code default.api.timeout.ms}). A failed commit only means that the next
   * owner of the partitions, or the next start, replays a little more.
   */
  private void commitQuietly(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
    try {
      if (offsets == null) {
        if (timeout == null) {
          consumer.commitSync();
        } else {
          consumer.commitSync(timeout);
        }
      } else if (timeout == null) {
        consumer.commitSync(offsets);
      } else {
        consumer.commitSync(offsets, timeout);
      }
    } catch (RuntimeException e) {
      LOG.debug("committing the offsets of {}: {}", topics, e.getMessage());
    }
  }

  /** Commits what was finished before partitions move to another consumer, then tells the stage. */
  private final class CommitOnRevoke implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
      forgetHeld(revoked);
      if (committedOnStop) {
        partitions.onPartitionsRevoked(revoked);
        return;
      }
      switch (commit) {
        case HANDLED -> {
          Map<TopicPartition, OffsetAndMetadata> mine = new HashMap<>();
          for (TopicPartition partition : revoked) {
            OffsetAndMetadata offset = handled.remove(partition);
            if (offset != null) {
              mine.put(partition, offset);
            }
          }
          if (!mine.isEmpty()) {
            commitQuietly(mine, null);
          }
        }
        case POSITIONS -> {
          if (!batchUnfinished) {
            commitQuietly(null, null);
          }
        }
      }
      partitions.onPartitionsRevoked(revoked);
    }

    /**
     * The group went on without this consumer (it polled too late): nothing can be committed for
     * these partitions any more, and whatever was done since the last commit is replayed by their
     * next owner.
     */
    @Override
    public void onPartitionsLost(Collection<TopicPartition> lost) {
      LOG.warn("partitions of {} lost: {}", topics, lost);
      forgetHeld(lost);
      lost.forEach(handled::remove);
      partitions.onPartitionsLost(lost);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> added) {
      if (held != null) {
        consumer.pause(added);
      }
      partitions.onPartitionsAssigned(added);
      assigned = true;
    }
  }
}
