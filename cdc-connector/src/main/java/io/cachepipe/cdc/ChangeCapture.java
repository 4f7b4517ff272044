package io.cachepipe.cdc;

import io.cachepipe.core.change.EvictionListener;
import io.cachepipe.core.concurrent.DaemonThreads;
import io.cachepipe.core.concurrent.StopDeadline;
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
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
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

  /**
   * How long stopping the engine may wait before it is stopped by force. Debezium's task stop reads
   * the stored offsets back (to confirm the slot's position), and that read waits for Kafka for as
   * long as Kafka is unreachable; Debezium's own limit, {@code task.management.timeout.ms} (40 s),
   * also bounds a task's start, so it cannot be made short for the stop alone. With Kafka up the
   * engine stops in well under a second. Stopped by force, it leaves offsets unstored and the slot
   * unconfirmed: those changes are captured again at the next start.
   */
  static final Duration ENGINE_STOP_TIMEOUT = Duration.ofSeconds(3);

  /** Where the capture is in its life. */
  public enum State {
    /** A watched table does not exist yet: the capture waits for it. */
    WAITING_FOR_TABLES,
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
  private final EagerEviction eager;
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
  private volatile boolean waitingForTables;
  private volatile String failure;
  private final CountDownLatch closed = new CountDownLatch(1);

  private ChangeCapture(Settings settings, Consumer<Throwable> onFailure) {
    this.onFailure = onFailure;
    CdcConfig config = CdcConfig.from(settings);
    Connections connections = Connections.from(settings);
    Topics topics = Topics.from(settings);
    TagRules rules = TagRules.from(settings);
    this.tables = WatchedTables.of(config, rules);
    this.waitingForTables = !WatchedTables.checkNow(connections, config, tables, rules);
    Map<String, Object> kafkaClient = KafkaClients.shared(settings);
    TopicCreator.ensure(kafkaClient, topics);
    this.publisher =
        new ChangePublisher(topics, settings, rules, stats, config.watermarkInterval());
    this.eager =
        EagerEviction.startIf(
            settings, rules, connections, publisher.producer(), topics.evictions());
    if (eager != null) {
      publisher.onSent(eager::offer);
    }
    this.runner = Executors.newSingleThreadExecutor(DaemonThreads.named("cachepipe-cdc"));
    this.leadership = new SlotLeadership(connections, config.slotName());
    this.recovery = new SlotRecovery(settings, connections, config, stats);
    Duration standbyPoll = config.standbyPoll();
    runner.execute(
        () -> {
          if (waitingForTables) {
            try {
              WatchedTables.await(connections, tables, closed);
              waitingForTables = false;
              DatabasePreflight.run(connections, config, tables, rules);
            } catch (InterruptedException e) {
              return; // closed while waiting
            } catch (RuntimeException e) {
              engineCompleted(false, e.getMessage(), e);
              return;
            }
          }
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
                stats.streamingSinceMillis = System.currentTimeMillis();
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
    return state() == State.STREAMING;
  }

  /** Where the capture is: {@link State#STREAMING} when {@link #isStreaming()}. */
  public State state() {
    if (closing) {
      return State.STOPPED;
    }
    if (!started.isDone()) {
      if (waitingForTables) {
        return State.WAITING_FOR_TABLES;
      }
      return standby ? State.STANDBY : State.STARTING;
    }
    // The engine can fail long after it started streaming (a change Kafka refuses, the database
    // gone): the started future is complete by then, so the engine's own end decides.
    return started.isCompletedExceptionally() || engineStopped ? State.FAILED : State.STREAMING;
  }

  /** Why the capture failed (the engine's error), or null while it has not. */
  public String failure() {
    return failure;
  }

  public CaptureStats stats() {
    return stats;
  }

  /**
   * Tells {@code listener} (a warmer in the same process) of each report of an eviction at capture
   * once Kafka has acknowledged it; nothing when the eviction at capture is off.
   */
  public void onEvictionReported(EvictionListener listener) {
    if (eager != null) {
      eager.onReported(listener);
    }
  }

  /** What the eviction at capture did, unless it is off ({@link EagerEvictionConfig}). */
  public Optional<EagerEvictionStats> eagerEviction() {
    return Optional.ofNullable(eager).map(EagerEviction::stats);
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
    CdcException stopped =
        new CdcException(
            "capture engine stopped"
                + (success ? "" : " with an error")
                + ": "
                + (error != null && error.getMessage() != null ? error.getMessage() : message),
            error);
    this.failure = stopped.getMessage();
    started.completeExceptionally(stopped);
    LOG.error("{}", stopped.getMessage(), error);
    onFailure.accept(stopped);
  }

  /**
   * Stops the engine, then the producer; what was not acknowledged is captured again next time.
   * Returns within seconds whatever is down ({@link #ENGINE_STOP_TIMEOUT}).
   */
  @Override
  public void close() {
    boolean running;
    synchronized (this) {
      closing = true;
      running = engineRunning;
    }
    closed.countDown();
    recovery.close();
    try {
      if (running && !engineStopped) {
        try (StopDeadline deadline =
            StopDeadline.start(
                ENGINE_STOP_TIMEOUT,
                () ->
                    LOG.warn(
                        "the capture engine did not stop within {} s (Kafka unreachable?):"
                            + " stopping it by force; changes not yet stored are captured again"
                            + " at the next start",
                        ENGINE_STOP_TIMEOUT.toSeconds()))) {
          closeEngine();
        }
      }
      // After the engine stopped (a standby taking over finds the slot free), or a standby stops
      // waiting.
      leadership.close();
      runner.shutdown();
      if (!runner.awaitTermination(ENGINE_STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        // An engine that failed by itself stops on its own thread, as slowly with Kafka gone.
        runner.shutdownNow();
        if (!runner.awaitTermination(ENGINE_STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          LOG.warn("capture engine did not stop within {} s", 2 * ENGINE_STOP_TIMEOUT.toSeconds());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      leadership.close(); // idempotent; here too if stopping the engine failed
      if (eager != null) {
        eager.close();
      }
      publisher.close();
    }
  }

  /**
   * Closes the engine. Debezium refuses to stop while its tasks are starting, which includes a
   * moment after it reported them started: retry for a while rather than leak a running engine. An
   * engine that is stopping already (it failed by itself) is left to end on its own thread. An
   * interrupt (the stop's deadline) while waiting for the tasks to start is kept for the close,
   * which it makes stop them at once.
   */
  private void closeEngine() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    boolean interrupted = false;
    while (true) {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      try {
        engine.close();
        return;
      } catch (IOException e) {
        LOG.warn("closing the capture engine: {}", e.getMessage());
        return;
      } catch (IllegalStateException e) {
        if (e.getMessage() == null || !e.getMessage().contains("tasks are starting")) {
          LOG.debug("engine stopping or stopped already: {}", e.getMessage());
          return;
        }
        if (System.nanoTime() > deadline) {
          throw e;
        }
        LOG.debug("engine not ready to stop yet: {}", e.getMessage());
        interrupted |= Thread.interrupted();
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
      }
    }
  }
}
