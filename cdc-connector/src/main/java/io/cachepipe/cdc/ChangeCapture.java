package io.cachepipe.cdc;

import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.kafka.KafkaClients;
import io.cachepipe.core.kafka.TopicCreator;
import io.cachepipe.core.tag.TagRules;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cdc-connector: a Debezium Embedded engine on PostgreSQL's logical replication (pgoutput) that
 * writes each committed change of the watched tables to the changes topic.
 *
 * <p>A batch is marked processed only after Kafka acknowledged every record of it (acks=all), so
 * the engine's offsets, and the slot position confirmed to PostgreSQL, never pass a change that is
 * not safely in Kafka: a crash replays, it never skips. A slot found dropped or invalidated at
 * start is recreated and the cache flushed before streaming ({@link SlotRecovery}).
 */
public final class ChangeCapture implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ChangeCapture.class);

  /** Where the capture is in its life. */
  public enum State {
    /** The engine is connecting to the slot. */
    STARTING,
    /** Another connector holds the slot: this one waits to take over. */
    STANDBY,
    /** The engine streams changes. */
    STREAMING,
    /** The engine stopped by itself; the process should end. */
    FAILED,
    /** The capture was closed. */
    STOPPED
  }

  private final ChangePublisher publisher;
  private final List<String> tables;
  private volatile DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
  private final ExecutorService runner;
  private final CaptureStats stats = new CaptureStats();
  private final CompletableFuture<Void> started = new CompletableFuture<>();
  private final Consumer<Throwable> onFailure;
  private final SlotLeadership leadership;
  private final SlotRecovery recovery;
  private volatile boolean closing;
  private volatile boolean engineStopped;
  private volatile boolean engineRunning;
  private volatile boolean standby;

  private ChangeCapture(Settings settings, Consumer<Throwable> onFailure) {
    this.onFailure = onFailure;
    CdcConfig config = CdcConfig.from(settings);
    Connections connections = Connections.from(settings);
    Topics topics = Topics.from(settings);
    TagRules rules = TagRules.from(settings);
    this.tables =
        config.tables().isEmpty()
            ? List.copyOf(rules.tables())
            : config.tables().stream().map(TagRules::qualify).toList();
    if (tables.isEmpty()) {
      throw new CdcException("no table to watch: configure tag rules or cachepipe.cdc.tables");
    }
    DatabasePreflight.run(connections, config, tables, rules);
    Map<String, Object> kafkaClient = KafkaClients.shared(settings);
    TopicCreator.ensure(kafkaClient, topics);
    this.publisher = new ChangePublisher(topics, settings, stats, config.watermarkInterval());
    this.runner =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "cachepipe-cdc");
              t.setDaemon(true);
              return t;
            });
    this.leadership = new SlotLeadership(connections, config.slotName());
    this.recovery = new SlotRecovery(settings, connections, config, stats);
    Duration standbyPoll = config.standbyPoll();
    runner.execute(
        () -> {
          try {
            leadership.await(standbyPoll, () -> standby = true);
          } catch (InterruptedException e) {
            return; // closed while standing by
          } catch (SQLException e) {
            engineCompleted(false, "cannot take the slot lock: " + e.getMessage(), e);
            return;
          }
          standby = false;
          Properties properties =
              DebeziumProperties.build(config, connections, topics, tables, kafkaClient);
          try {
            if (recovery.ensureSlot()) {
              DebeziumProperties.resumeAtRecreatedSlot(properties);
            }
          } catch (SQLException | RuntimeException e) {
            engineCompleted(false, "cannot check the replication slot: " + e.getMessage(), e);
            return;
          }
          synchronized (this) { // against close(): the engine runs only if close() will stop it
            if (closing) {
              return;
            }
            engine = engine(properties, config.slotName());
            engineRunning = true;
          }
          engine.run();
        });
  }

  private DebeziumEngine<RecordChangeEvent<SourceRecord>> engine(
      Properties properties, String slot) {
    return DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
        .using(properties)
        .using(
            new DebeziumEngine.ConnectorCallback() {
              @Override
              public void taskStarted() {
                LOG.info("capturing {} through slot {}", tables, slot);
                started.complete(null);
              }
            })
        .using(this::engineCompleted)
        .notifying(publisher::handleBatch)
        .build();
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

  /** Where the capture is: {@link State#STREAMING} when {@link #isStreaming()}. */
  public State state() {
    if (closing) {
      return State.STOPPED;
    }
    if (!started.isDone()) {
      return standby ? State.STANDBY : State.STARTING;
    }
    return started.isCompletedExceptionally() ? State.FAILED : State.STREAMING;
  }

  public CaptureStats stats() {
    return stats;
  }

  /** The watched tables, schema-qualified ({@code public.posts}). */
  public List<String> tables() {
    return tables;
  }

  /**
   * The Kafka producer of the changes topic, for metrics binders to read its {@code metrics()}; it
   * must not be used to send or be closed.
   */
  public Producer<?, ?> kafkaProducer() {
    return publisher.producer();
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

  /** Stops the engine, then the producer; what was not acknowledged is captured again next time. */
  @Override
  public void close() {
    boolean running;
    synchronized (this) {
      closing = true;
      running = engineRunning;
    }
    recovery.close();
    try {
      if (running && !engineStopped) {
        closeEngine();
      }
      // After the engine stopped (a standby taking over finds the slot free), or a standby stops
      // waiting.
      leadership.close();
      runner.shutdown();
      if (!runner.awaitTermination(30, TimeUnit.SECONDS)) {
        LOG.warn("capture engine did not stop within 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      leadership.close(); // idempotent; here too if stopping the engine failed
      publisher.close();
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
