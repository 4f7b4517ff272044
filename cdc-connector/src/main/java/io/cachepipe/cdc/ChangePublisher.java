package io.cachepipe.cdc;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.Reduced;
import io.cachepipe.core.change.Watermark;
import io.cachepipe.core.concurrent.DaemonThreads;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.kafka.DeadLetters;
import io.cachepipe.core.kafka.KafkaClients;
import io.cachepipe.core.tag.TagRules;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
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

  /** How long closing waits for Kafka to take what the producer still holds. */
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(1);

  private final Topics topics;
  private final KafkaProducer<byte[], byte[]> producer;
  private final CaptureStats stats;
  private final ScheduledExecutorService marker;
  private final ChangeEncoder encoder;
  private volatile long acknowledgedLsn = -1;
  private long markedLsn = -1;
  private volatile Consumer<List<ChangeEvent>> onSent = changes -> {};

  ChangePublisher(
      Topics topics,
      Settings settings,
      TagRules rules,
      CaptureStats stats,
      Duration watermarkInterval) {
    this.topics = topics;
    this.stats = stats;
    Map<String, Object> producerConfig =
        KafkaClients.acknowledgedProducer(
            KafkaClients.shared(settings), "cachepipe-cdc", settings.subtree("kafka.producer."));
    this.encoder =
        new ChangeEncoder(
            rules,
            ChangeSizeLimit.of(producerConfig, KafkaClients.shared(settings), topics.changes()));
    this.producer =
        new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
    this.marker =
        Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("cachepipe-cdc-watermark"));
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
    long lastCommitMicros = 0;
    long position = -1;
    boolean awaited = false;
    List<String> tables = new ArrayList<>(records.size());
    List<ChangeEvent> changes = new ArrayList<>(records.size());
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
      sends.add(producer.send(changeRecord(change)));
      lastLsn = change.lsn();
      lastCommitMicros = change.commitMicros();
      tables.add(change.table());
      changes.add(change);
    }
    onSent.accept(changes);
    awaitAcknowledged(sends);
    for (RecordChangeEvent<SourceRecord> event : records) {
      committer.markProcessed(event);
    }
    committer.markBatchFinished();
    stats.captured.add(tables.size());
    tables.forEach(stats::recordCaptured);
    long now = System.currentTimeMillis();
    if (lastLsn >= 0) {
      stats.lastLsn = lastLsn;
      stats.lastCommitMicros = lastCommitMicros;
      stats.lastCapturedMillis = now;
    }
    stats.lastBatchMillis = now;
    if (position > acknowledgedLsn) {
      acknowledgedLsn = position;
    }
    if (awaited) {
      marker.execute(this::markProgress);
    }
  }

  /**
   * The record of {@code change}; cut down to what the tag rules read when too big for Kafka, or a
   * dead letter of its key when not even that fits.
   */
  private ProducerRecord<byte[], byte[]> changeRecord(ChangeEvent change) {
    byte[] key = change.recordKey().getBytes(StandardCharsets.UTF_8);
    ChangeEncoder.Encoded encoded = encoder.encode(change, key.length);
    if (encoded.reduced() == null && encoded.value() != null) {
      return new ProducerRecord<>(topics.changes(), key, encoded.value());
    }
    if (encoded.value() == null) {
      String reason = "change of more than " + encoder.limit() + " bytes even as its key alone";
      LOG.error(
          "dead-lettering {} {} at lsn {}: {}", change.table(), key(key), change.lsn(), reason);
      stats.deadLettered.increment();
      return DeadLetters.record(
          topics.deadLetter(), key, null, STAGE, reason, "lsn " + change.lsn());
    }
    LOG.warn(
        "{} {} at lsn {} is over the {} bytes Kafka takes: published {}",
        change.table(),
        key(key),
        change.lsn(),
        encoder.limit(),
        encoded.reduced().wireName());
    stats.reduced.increment();
    RecordHeaders headers = new RecordHeaders();
    headers.add(Reduced.HEADER, encoded.reduced().headerValue());
    return new ProducerRecord<>(topics.changes(), null, key, encoded.value(), headers);
  }

  private static String key(byte[] key) {
    String text = new String(key, StandardCharsets.UTF_8);
    return text.length() <= 200 ? text : text.substring(0, 200) + "…";
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
        // Half the limit leaves room for the headers; the source offset names the change.
        DeadLetters.description(String.valueOf(record), encoder.limit() / 2),
        STAGE,
        e.getMessage(),
        String.valueOf(record.sourceOffset()));
  }

  /**
   * Hands each batch's changes to {@code onSent} once they are sent, before Kafka acknowledged them
   * (the eviction at capture); it must return at once and not throw.
   */
  void onSent(Consumer<List<ChangeEvent>> onSent) {
    this.onSent = onSent;
  }

  /** The producer of the changes topic. */
  Producer<byte[], byte[]> producer() {
    return producer;
  }

  /**
   * Stops the watermarks and closes the producer, waiting at most {@link #CLOSE_TIMEOUT} for what
   * it still has to send: the engine has stopped by now, so no offset passes those records, and any
   * that are lost are captured again at the next start.
   */
  void close() {
    marker.shutdownNow();
    try {
      marker.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(CLOSE_TIMEOUT);
  }
}
