package io.cachepipe.cdc;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.Watermark;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.kafka.DeadLetters;
import io.cachepipe.core.kafka.KafkaClients;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes each batch of the engine's change records to the changes topic and marks the batch
 * processed only after Kafka acknowledged every record of it (acks=all): the engine's offsets, and
 * the slot position confirmed to PostgreSQL, never pass a change that is not safely in Kafka.
 *
 * <p>Every {@code cachepipe.cdc.watermark.interval.ms}, if the acknowledged position moved, a
 * {@link Watermark} follows into every partition of the changes topic; and at once after a batch
 * that held a logical decoding message, which is how a read-your-writes token (or a heartbeat)
 * shows its position, so a reader waiting for its token never waits for the interval. The position
 * counts every record the engine streamed, also those messages, which are not published themselves.
 * Markers on demand keep a reader's wait short while an idle or busy pipeline does not pay for a
 * marker every few milliseconds in every partition and every stage after it.
 */
final class ChangePublisher {

  private static final Logger LOG = LoggerFactory.getLogger(ChangePublisher.class);
  private static final String STAGE = "cdc-connector";

  private final Topics topics;
  private final KafkaProducer<byte[], byte[]> producer;
  private final CaptureStats stats;
  private final ScheduledExecutorService marker;
  private volatile long acknowledgedLsn = -1;
  private long markedLsn = -1;

  ChangePublisher(
      Topics topics, Settings settings, CaptureStats stats, Duration watermarkInterval) {
    this.topics = topics;
    this.stats = stats;
    this.producer = new KafkaProducer<>(producerConfig(settings));
    this.marker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "cachepipe-cdc-watermark");
              t.setDaemon(true);
              return t;
            });
    long micros = watermarkInterval.toNanos() / 1_000;
    marker.scheduleWithFixedDelay(this::markProgress, micros, micros, TimeUnit.MICROSECONDS);
  }

  /**
   * Sends a watermark at the acknowledged position to every partition of the changes topic. The
   * changes before that position were acknowledged before it was read, so each marker lands behind
   * them in its partition.
   */
  private void markProgress() {
    long lsn = acknowledgedLsn;
    if (lsn <= markedLsn) {
      return;
    }
    try {
      int partitions = producer.partitionsFor(topics.changes()).size();
      byte[] key = Watermark.KEY.getBytes(StandardCharsets.UTF_8);
      for (int p = 0; p < partitions; p++) {
        producer.send(
            new ProducerRecord<>(
                topics.changes(),
                p,
                null,
                key,
                Watermark.CONTRACT.encode(Watermark.of(lsn, p, partitions)),
                Watermark.headers()));
      }
      markedLsn = lsn;
    } catch (RuntimeException e) {
      // A lost marker only delays the watermark: the next one carries a later position.
      LOG.debug("sending watermark {}: {}", lsn, e.getMessage());
    }
  }

  void handleBatch(
      List<RecordChangeEvent<SourceRecord>> records,
      DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
      throws InterruptedException {
    List<Future<RecordMetadata>> sends = new ArrayList<>(records.size());
    long lastLsn = -1;
    long position = -1;
    boolean awaited = false;
    List<String> tables = new ArrayList<>(records.size());
    for (RecordChangeEvent<SourceRecord> event : records) {
      SourceRecord record = event.record();
      position = Math.max(position, ChangeMapper.position(record));
      if (ChangeMapper.isLogicalMessage(record)) {
        awaited = true;
        continue;
      }
      if (ChangeMapper.isHeartbeat(record)) {
        continue;
      }
      ChangeEvent change;
      try {
        change = ChangeMapper.map(record);
      } catch (RuntimeException e) {
        LOG.warn(
            "dead-lettering unmappable record at {}: {}", record.sourceOffset(), e.getMessage());
        sends.add(producer.send(deadLetter(record, e)));
        stats.deadLettered.increment();
        continue;
      }
      sends.add(
          producer.send(
              new ProducerRecord<>(
                  topics.changes(),
                  change.recordKey().getBytes(StandardCharsets.UTF_8),
                  ChangeEvent.CONTRACT.encode(change))));
      lastLsn = change.lsn();
      tables.add(change.table());
    }
    awaitAcknowledged(sends);
    for (RecordChangeEvent<SourceRecord> event : records) {
      committer.markProcessed(event);
    }
    committer.markBatchFinished();
    stats.captured.add(tables.size());
    tables.forEach(stats::recordCaptured);
    if (lastLsn >= 0) {
      stats.lastLsn = lastLsn;
    }
    if (position > acknowledgedLsn) {
      acknowledgedLsn = position;
    }
    if (awaited) {
      marker.execute(this::markProgress);
    }
  }

  private static void awaitAcknowledged(List<Future<RecordMetadata>> sends)
      throws InterruptedException {
    for (Future<RecordMetadata> send : sends) {
      try {
        send.get();
      } catch (ExecutionException e) {
        // Not marking the batch processed keeps the offsets before it; failing the engine makes
        // the process restart from there.
        throw new CdcException(
            "Kafka did not accept a change: " + e.getCause().getMessage(), e.getCause());
      }
    }
  }

  private ProducerRecord<byte[], byte[]> deadLetter(SourceRecord record, RuntimeException e) {
    return DeadLetters.record(
        topics.deadLetter(),
        null,
        String.valueOf(record).getBytes(StandardCharsets.UTF_8),
        STAGE,
        e.getMessage(),
        String.valueOf(record.sourceOffset()));
  }

  private static Map<String, Object> producerConfig(Settings settings) {
    Map<String, Object> config = new HashMap<>(KafkaClients.shared(settings));
    config.put(ProducerConfig.CLIENT_ID_CONFIG, "cachepipe-cdc");
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    config.putAll(settings.subtree("kafka.producer."));
    return config;
  }

  /** The producer of the changes topic. */
  Producer<byte[], byte[]> producer() {
    return producer;
  }

  void close() {
    marker.shutdownNow();
    try {
      marker.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(Duration.ofSeconds(10));
  }
}
