package io.cachepipe.cdc;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.kafka.DeadLetters;
import io.cachepipe.core.kafka.TopicCreator;
import io.cachepipe.core.tag.TagRules;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cdc-connector: a Debezium Embedded engine on PostgreSQL's logical replication (pgoutput) that
 * writes each committed change of the watched tables to the changes topic.
 *
 * <p>A batch is marked processed only after Kafka acknowledged every record of it (acks=all), so
 * the engine's offsets, and the slot position confirmed to PostgreSQL, never pass a change that is
 * not safely in Kafka: a crash replays, it never skips.
 */
public final class ChangeCapture implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ChangeCapture.class);
  private static final String STAGE = "cdc-connector";

  private final Topics topics;
  private final KafkaProducer<byte[], byte[]> producer;
  private final DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
  private final ExecutorService runner;
  private final CaptureStats stats = new CaptureStats();
  private final CompletableFuture<Void> started = new CompletableFuture<>();
  private final Consumer<Throwable> onFailure;
  private volatile boolean closing;
  private volatile boolean engineStopped;

  private ChangeCapture(Settings settings, Consumer<Throwable> onFailure) {
    this.onFailure = onFailure;
    CdcConfig config = CdcConfig.from(settings);
    Connections connections = Connections.from(settings);
    this.topics = Topics.from(settings);
    List<String> tables =
        config.tables().isEmpty()
            ? List.copyOf(TagRules.from(settings).tables())
            : config.tables().stream().map(TagRules::qualify).toList();
    if (tables.isEmpty()) {
      throw new CdcException("no table to watch: configure tag rules or cachepipe.cdc.tables");
    }
    DatabasePreflight.run(connections, config, tables);
    TopicCreator.ensure(connections.kafkaBootstrap(), topics);
    this.producer = new KafkaProducer<>(producerConfig(connections, settings));
    this.engine =
        DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
            .using(DebeziumProperties.build(config, connections, topics, tables))
            .using(
                new DebeziumEngine.ConnectorCallback() {
                  @Override
                  public void taskStarted() {
                    LOG.info("capturing {} through slot {}", tables, config.slotName());
                    started.complete(null);
                  }
                })
            .using(this::engineCompleted)
            .notifying(this::handleBatch)
            .build();
    this.runner =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "cachepipe-cdc");
              t.setDaemon(true);
              return t;
            });
    runner.execute(engine);
  }

  /**
   * Checks the database, then starts capturing on a thread of its own.
   *
   * @param onFailure called once if the engine stops by itself (it must not be ignored: a stopped
   *     engine captures nothing); the sidecar ends the process
   * @throws CdcException if the database is not fit for capture (the message says how to fix it)
   */
  public static ChangeCapture start(Settings settings, Consumer<Throwable> onFailure) {
    return new ChangeCapture(settings, onFailure);
  }

  /** Waits until the engine streams, or fails with why it does not. */
  public void awaitStarted(Duration timeout) throws TimeoutException, InterruptedException {
    try {
      started.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new CdcException("capture did not start: " + e.getCause().getMessage(), e.getCause());
    }
  }

  /** Whether the engine is streaming. */
  public boolean isStreaming() {
    return started.isDone() && !started.isCompletedExceptionally() && !closing;
  }

  public CaptureStats stats() {
    return stats;
  }

  private void handleBatch(
      List<RecordChangeEvent<SourceRecord>> records,
      DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
      throws InterruptedException {
    List<Future<RecordMetadata>> sends = new ArrayList<>(records.size());
    long lastLsn = -1;
    int changes = 0;
    for (RecordChangeEvent<SourceRecord> event : records) {
      SourceRecord record = event.record();
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
      changes++;
    }
    awaitAcknowledged(sends);
    for (RecordChangeEvent<SourceRecord> event : records) {
      committer.markProcessed(event);
    }
    committer.markBatchFinished();
    stats.captured.add(changes);
    if (lastLsn >= 0) {
      stats.lastLsn = lastLsn;
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

  private void engineCompleted(boolean success, String message, Throwable error) {
    engineStopped = true;
    if (closing) {
      LOG.info("capture stopped");
      return;
    }
    CdcException failure =
        new CdcException(
            "capture engine stopped"
                + (success ? "" : " with an error")
                + ": "
                + (error != null && error.getMessage() != null ? error.getMessage() : message),
            error);
    started.completeExceptionally(failure);
    LOG.error("{}", failure.getMessage(), error);
    onFailure.accept(failure);
  }

  private static Map<String, Object> producerConfig(Connections connections, Settings settings) {
    Map<String, Object> config = new java.util.HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, connections.kafkaBootstrap());
    config.put(ProducerConfig.CLIENT_ID_CONFIG, "cachepipe-cdc");
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    config.putAll(settings.subtree("kafka.producer."));
    return config;
  }

  /** Stops the engine, then the producer; what was not acknowledged is captured again next time. */
  @Override
  public void close() {
    closing = true;
    try {
      if (!engineStopped) {
        closeEngine();
      }
      runner.shutdown();
      if (!runner.awaitTermination(30, TimeUnit.SECONDS)) {
        LOG.warn("capture engine did not stop within 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      producer.close(Duration.ofSeconds(10));
    }
  }

  /**
   * Closes the engine. Debezium refuses to stop while its tasks are starting, which includes a
   * moment after it reported them started: retry for a while rather than leak a running engine.
   */
  private void closeEngine() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        engine.close();
        return;
      } catch (IOException e) {
        LOG.warn("closing the capture engine: {}", e.getMessage());
        return;
      } catch (IllegalStateException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        LOG.debug("engine not ready to stop yet: {}", e.getMessage());
        TimeUnit.MILLISECONDS.sleep(50);
      }
    }
  }
}
