package io.cachepipe.invalidator;

import io.cachepipe.core.change.EvictionListener;
import io.cachepipe.core.change.EvictionReport;
import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.change.Watermark;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.json.MalformedMessageException;
import io.cachepipe.core.kafka.CommitPacer;
import io.cachepipe.core.kafka.DeadLetters;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the invalidations topic to Redis, a poll at a time: the batch's distinct tags are evicted
 * in one pipelined round trip, then each eviction is reported to the evictions topic, then the
 * batch's offsets are committed (at most every 100 ms). So an offset is never committed past an
 * eviction that Redis has not applied: a crash replays the batch, which is harmless. Unreadable
 * invalidations go to the dead-letter topic with the reason.
 *
 * <p>The batch's {@link Watermark}s advance the read-your-writes watermark in the same round trip,
 * after its evictions: a part {@code <this partition>/<changes partition>} reaches a watermark's
 * position once every invalidation ahead of it in this partition is applied.
 */
final class EvictionStep implements Runnable {

  private static final Logger LOG = LoggerFactory.getLogger(EvictionStep.class);
  private static final String STAGE = "invalidator";

  private final KafkaConsumer<String, byte[]> consumer;
  private final KafkaProducer<String, byte[]> producer;
  private final TagEvictor evictor;
  private final Topics topics;
  private final InvalidatorMetrics metrics;
  private final Consumer<Throwable> onFailure;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Map<TopicPartition, OffsetAndMetadata> processed = new HashMap<>();
  private volatile boolean assigned;
  private volatile EvictionListener listener = EvictionListener.NONE;
  private int invalidationPartitions;

  EvictionStep(
      KafkaConsumer<String, byte[]> consumer,
      KafkaProducer<String, byte[]> producer,
      TagEvictor evictor,
      Topics topics,
      InvalidatorMetrics metrics,
      Consumer<Throwable> onFailure) {
    this.consumer = consumer;
    this.producer = producer;
    this.evictor = evictor;
    this.topics = topics;
    this.metrics = metrics;
    this.onFailure = onFailure;
  }

  @Override
  public void run() {
    try {
      consumer.subscribe(List.of(topics.invalidations()), new CommitOnRevoke());
      CommitPacer commits = new CommitPacer();
      while (running.get()) {
        ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(100));
        if (!records.isEmpty()) {
          apply(records);
          commits.processed();
        }
        if (commits.due()) {
          consumer.commitAsync(Map.copyOf(processed), null);
        }
      }
    } catch (WakeupException e) {
      // close() woke the poll
    } catch (RuntimeException e) {
      if (running.get()) {
        LOG.error("eviction step failed: {}", e.getMessage(), e);
        onFailure.accept(e);
      }
    } finally {
      try {
        if (!processed.isEmpty()) {
          consumer.commitSync(processed);
        }
      } catch (RuntimeException e) {
        LOG.debug("final commit: {}", e.getMessage());
      }
      consumer.close(Duration.ofSeconds(5));
    }
  }

  /** Evicts, reports and dead-letters one poll's records; returns when all are durable. */
  void apply(ConsumerRecords<String, byte[]> records) {
    InvalidationBatch batch = new InvalidationBatch();
    Map<String, Long> watermarkParts = new HashMap<>();
    int sources = 0;
    for (ConsumerRecord<String, byte[]> record : records) {
      try {
        if (Watermark.isWatermark(record.headers())) {
          Watermark watermark = Watermark.CONTRACT.decode(record.value());
          watermarkParts.merge(
              record.partition() + "/" + watermark.source(), watermark.lsn(), Math::max);
          sources = Math.max(sources, watermark.sources());
        } else {
          batch.add(Invalidation.CONTRACT.decode(record.value()));
        }
      } catch (MalformedMessageException e) {
        deadLetter(record, e.getMessage());
      }
    }
    if (!batch.isEmpty() || !watermarkParts.isEmpty()) {
      TagEvictor.Evicted evicted =
          evictor.evict(batch.byTag().keySet(), watermarkParts, invalidationPartitions() * sources);
      Map<String, List<String>> live = evicted.live();
      if (evicted.watermark() >= 0) {
        metrics.watermark = evicted.watermark();
      }
      metrics.recordApplied(batch.all());
      for (var entry : batch.byTag().entrySet()) {
        List<String> keys = live.getOrDefault(entry.getKey(), List.of());
        metrics.recordEviction(keys.size());
        EvictionReport report = EvictionReport.of(entry.getValue(), keys);
        ProducerRecord<String, byte[]> record =
            new ProducerRecord<>(
                topics.evictions(), entry.getKey(), EvictionReport.CONTRACT.encode(report));
        if (keys.isEmpty()) {
          producer.send(record);
        } else {
          EvictionListener told = listener;
          producer.send(
              record,
              (written, failed) -> {
                if (failed == null) {
                  told.reported(report, written.partition(), written.offset());
                }
              });
        }
        if (LOG.isDebugEnabled()) {
          Invalidation i = entry.getValue();
          LOG.debug(
              "evicted tag {} ({} live keys) for {} {} at lsn {}",
              i.tag(),
              keys.size(),
              i.op().wireName(),
              i.table(),
              i.lsn());
        }
      }
    }
    // Reports and dead letters are acknowledged before the offsets that produced them commit.
    producer.flush();
    for (TopicPartition partition : records.partitions()) {
      List<ConsumerRecord<String, byte[]>> list = records.records(partition);
      processed.put(partition, new OffsetAndMetadata(list.get(list.size() - 1).offset() + 1));
    }
  }

  private int invalidationPartitions() {
    if (invalidationPartitions == 0) {
      invalidationPartitions = consumer.partitionsFor(topics.invalidations()).size();
    }
    return invalidationPartitions;
  }

  private void deadLetter(ConsumerRecord<String, byte[]> record, String reason) {
    String source = record.topic() + "/" + record.partition() + "@" + record.offset();
    LOG.warn("dead-lettering invalidation at {}: {}", source, reason);
    metrics.deadLettered.increment();
    producer.send(
        new ProducerRecord<>(
            topics.deadLetter(),
            null,
            record.key(),
            record.value(),
            DeadLetters.headers(STAGE, reason, source)));
  }

  /** Tells {@code listener} of each report with live keys, once Kafka has acknowledged it. */
  void onReported(EvictionListener listener) {
    this.listener = listener;
  }

  /** Whether the step has joined its group and was given partitions (possibly none) to read. */
  boolean isAssigned() {
    return assigned;
  }

  void stop() {
    running.set(false);
    consumer.wakeup();
  }

  /** Commits what was applied before partitions move to another instance. */
  private final class CommitOnRevoke implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      Map<TopicPartition, OffsetAndMetadata> mine = new HashMap<>();
      partitions.forEach(
          p -> {
            OffsetAndMetadata offset = processed.remove(p);
            if (offset != null) {
              mine.put(p, offset);
            }
          });
      if (!mine.isEmpty()) {
        consumer.commitSync(mine);
      }
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      invalidationPartitions = 0; // the topic may have grown
      assigned = true;
    }
  }
}
