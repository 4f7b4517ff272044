package io.cachepipe.invalidator;

import io.cachepipe.core.change.EvictionListener;
import io.cachepipe.core.change.EvictionReport;
import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.change.Watermark;
import io.cachepipe.core.concurrent.RecentEvents;
import io.cachepipe.core.concurrent.StageProgress;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.kafka.CommittingPollLoop;
import io.cachepipe.core.kafka.DeadLetters;
import io.cachepipe.core.kafka.Deliveries;
import io.cachepipe.core.kafka.RetryBatchLater;
import io.cachepipe.redis.evict.TagEvictor;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the invalidations topic to Redis, a poll at a time: the batch's distinct tags are evicted
 * in one pipelined round trip, then each eviction is reported to the evictions topic, then the
 * {@link CommittingPollLoop} commits the offsets after the batch (at most every 100 ms). So an
 * offset is never committed past an eviction that Redis has not applied, nor past a report or dead
 * letter Kafka has not acknowledged: a crash replays the batch, which is harmless. Unreadable
 * invalidations go to the dead-letter topic with the reason, and so do those of a tag Redis refuses
 * for good (a key of the wrong type, say), so one bad key never wedges the step.
 *
 * <p>The batch's {@link Watermark}s advance the read-your-writes watermark in the same round trip,
 * after its evictions: a part {@code <this partition>/<changes partition>} reaches a watermark's
 * position once every invalidation ahead of it in this partition is applied.
 */
final class EvictionStep {

  private static final Logger LOG = LoggerFactory.getLogger(EvictionStep.class);
  private static final String STAGE = "invalidator";
  private static final Duration FIRST_RETRY = Duration.ofMillis(50);
  private static final Duration MAX_RETRY = Duration.ofSeconds(1);

  /**
   * Evictions Redis refused for good within {@link #refusals}' window beyond which the step says so
   * in its health: one refusal is a bad key and its dead letter; a run of them (NOPERM after an ACL
   * change, a script error) means nothing is being evicted.
   */
  static final int TROUBLING_REFUSALS = 10;

  private final KafkaConsumer<String, byte[]> consumer;
  private final KafkaProducer<String, byte[]> producer;
  private final TagEvictor evictor;
  private final Topics topics;
  private final InvalidatorMetrics metrics;
  private final CommittingPollLoop<String, byte[]> loop;
  private final Duration attemptBudget;
  private final StageProgress progress = new StageProgress();
  private final RecentEvents refusals = new RecentEvents(Duration.ofMinutes(1), System::nanoTime);
  private volatile String lastRefusal;
  private volatile EvictionListener listener = EvictionListener.NONE;
  private int invalidationPartitions;

  /** The poll being worked on, its eviction (until done) and its sends; null between polls. */
  private PendingEviction pending;

  private TagEvictor.Run run;
  private Deliveries<String, byte[]> deliveries;
  private Duration retryBackoff = FIRST_RETRY;

  EvictionStep(
      KafkaConsumer<String, byte[]> consumer,
      KafkaProducer<String, byte[]> producer,
      TagEvictor evictor,
      Topics topics,
      InvalidatorMetrics metrics,
      Duration attemptBudget,
      Consumer<Throwable> onFailure) {
    this.attemptBudget = attemptBudget;
    this.consumer = consumer;
    this.producer = producer;
    this.evictor = evictor;
    this.topics = topics;
    this.metrics = metrics;
    this.loop =
        CommittingPollLoop.builder(consumer, List.of(topics.invalidations()), this::apply)
            .onRebalance(new TopicMayGrow())
            .onFailure(onFailure)
            .build();
  }

  /** Starts applying the invalidations topic, on a thread of its own. */
  void start() {
    loop.start("cachepipe-eviction");
  }

  /**
   * Evicts, reports and dead-letters one poll's records; returns when all are durable. While Redis
   * or Kafka fail it gives up after {@link #attemptBudget} and asks the poll loop to hand the same
   * records again later ({@link RetryBatchLater}), so the consumer keeps polling and stays in its
   * group; the work done so far is kept.
   */
  void apply(ConsumerRecords<String, byte[]> records) {
    if (pending == null || pending.records != records) {
      start(records);
    }
    if (run != null) {
      TagEvictor.Evicted evicted = run.tryFor(attemptBudget);
      if (evicted == null) {
        progress.failing("retrying Redis", run.lastFailure());
        throw later(run.lastFailure());
      }
      run = null;
      report(evicted);
    }
    if (!deliveries.awaitAll(attemptBudget)) {
      progress.failing("sending eviction reports and dead letters", deliveries.lastFailure());
      throw later(deliveries.lastFailure());
    }
    pending = null;
    retryBackoff = FIRST_RETRY;
    progress.progressed();
  }

  /** Reads a new poll's records; the unreadable ones are dead-lettered at once. */
  private void start(ConsumerRecords<String, byte[]> records) {
    pending = new PendingEviction(records);
    deliveries = new Deliveries<>(producer);
    retryBackoff = FIRST_RETRY;
    for (PendingEviction.Unreadable bad : pending.unreadable) {
      deadLetter(bad.record(), bad.reason());
    }
    run =
        pending.hasWork()
            ? evictor.start(
                pending.batch.positions(),
                pending.watermarkParts,
                invalidationPartitions() * pending.sources)
            : null;
  }

  private RetryBatchLater later(String reason) {
    Duration wait = retryBackoff;
    retryBackoff =
        retryBackoff.multipliedBy(2).compareTo(MAX_RETRY) > 0
            ? MAX_RETRY
            : retryBackoff.multipliedBy(2);
    return new RetryBatchLater(reason, wait);
  }

  /** Sends a report of each tag evicted; dead-letters what Redis refused for good. */
  private void report(TagEvictor.Evicted evicted) {
    if (evicted.watermark() >= 0) {
      metrics.watermark = evicted.watermark();
    }
    if (evicted.watermarkFailure() != null) {
      for (ConsumerRecord<String, byte[]> record : pending.watermarkRecords) {
        refused(record, "Redis refused the watermark's advance: " + evicted.watermarkFailure());
      }
    }
    metrics.recordApplied(pending.batch.all());
    for (var entry : pending.batch.byTag().entrySet()) {
      TagEvictor.EvictedTag done = evicted.tags().get(entry.getKey());
      if (done.failed()) {
        for (ConsumerRecord<String, byte[]> record : pending.recordsByTag.get(entry.getKey())) {
          refused(
              record,
              "Redis refused the eviction of tag " + entry.getKey() + ": " + done.failure());
        }
        continue;
      }
      List<String> keys = done.liveKeys();
      metrics.recordEviction(done.liveCount());
      EvictionReport report =
          EvictionReport.of(entry.getValue(), keys, done.liveCount(), done.skipped());
      ProducerRecord<String, byte[]> record =
          new ProducerRecord<>(
              topics.evictions(), entry.getKey(), EvictionReport.CONTRACT.encode(report));
      EvictionListener told = listener;
      deliveries.send(
          record,
          written -> {
            if (!keys.isEmpty()) {
              told.reported(report, written.partition(), written.offset());
            }
          });
      if (LOG.isDebugEnabled()) {
        Invalidation i = entry.getValue();
        LOG.debug(
            "{} tag {} ({} live keys) for {} {} at lsn {}, commit position {}",
            done.skipped() ? "skipped (already evicted)" : "evicted",
            i.tag(),
            done.liveCount(),
            i.op().wireName(),
            i.table(),
            i.lsn(),
            i.commitLsn());
      }
    }
  }

  private int invalidationPartitions() {
    if (invalidationPartitions == 0) {
      invalidationPartitions = consumer.partitionsFor(topics.invalidations()).size();
    }
    return invalidationPartitions;
  }

  private void refused(ConsumerRecord<String, byte[]> record, String reason) {
    metrics.refusedByRedis.increment();
    refusals.record();
    lastRefusal = reason;
    deadLetter(record, reason);
  }

  private void deadLetter(ConsumerRecord<String, byte[]> record, String reason) {
    String source = record.topic() + "/" + record.partition() + "@" + record.offset();
    LOG.warn("dead-lettering invalidation at {}: {}", source, reason);
    metrics.deadLettered.increment();
    deliveries.send(
        new ProducerRecord<>(
            topics.deadLetter(),
            null,
            record.key(),
            record.value(),
            DeadLetters.headers(STAGE, reason, source)));
  }

  /**
   * Why the step is held up ("retrying Redis for 12 s: connection refused"), or null when it is
   * not.
   */
  String trouble() {
    String held = progress.trouble();
    if (held != null) {
      return held;
    }
    int refused = refusals.count();
    return refused >= TROUBLING_REFUSALS
        ? "Redis refused "
            + refused
            + " evictions in the last minute, dead-lettered; the last: "
            + lastRefusal
        : null;
  }

  /** When the step last finished a batch (or started). */
  Instant lastProgress() {
    return progress.lastProgress();
  }

  /** Tells {@code listener} of each report with live keys, once Kafka has acknowledged it. */
  void onReported(EvictionListener listener) {
    this.listener = listener;
  }

  /** Whether the step has joined its group and was given partitions (possibly none) to read. */
  boolean isAssigned() {
    return loop.isAssigned();
  }

  /** Why the step ended by itself, or null while it has not. */
  String failure() {
    return loop.failure();
  }

  /** Stops after the batch being applied, commits it, and waits at most {@code wait} for that. */
  void stop(Duration wait) {
    loop.stop(wait);
  }

  private final class TopicMayGrow implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      invalidationPartitions = 0; // the topic may have grown
    }
  }
}
