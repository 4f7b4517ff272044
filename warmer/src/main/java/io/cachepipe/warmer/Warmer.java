package io.cachepipe.warmer;

import io.cachepipe.client.CacheClient;
import io.cachepipe.core.change.EvictionListener;
import io.cachepipe.core.change.EvictionReport;
import io.cachepipe.core.concurrent.DaemonThreads;
import io.cachepipe.core.concurrent.StageProgress;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.kafka.CommittingPollLoop;
import io.cachepipe.core.kafka.CommittingPollLoop.Commit;
import io.cachepipe.core.kafka.KafkaClients;
import io.cachepipe.core.kafka.RetryBatchLater;
import io.cachepipe.core.kafka.TopicCreator;
import io.cachepipe.core.warm.WarmKinds;
import io.cachepipe.core.warm.WarmableEntry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The warmer stage: reads the evictions topic and recomputes, from PostgreSQL, each evicted entry
 * that was live (cached) when it was evicted and is of a warmable kind, then fills it through the
 * cache-client's fenced path. It reads eviction reports, not invalidations, so a recompute always
 * starts after the eviction it answers and is not deleted by it.
 *
 * <p>Recomputes run through a {@link SingleFlight}: at most one per key at a time, plus one
 * follow-up. The {@link CommittingPollLoop} commits the consumer's positions after the batch's
 * recomputes finished (at most every 100 ms, and when a partition is revoked or the warmer stops):
 * a crash re-warms, it never skips.
 *
 * <p>In a process that also runs the invalidator, the warmer is its {@link EvictionListener}: a
 * report for a partition this warmer owns starts its recomputes as soon as Kafka has acknowledged
 * it, instead of after the round trip of reading it back, which shortens the time an evicted hot
 * entry is a miss. When the consumer later reads that report, it waits for those recomputes rather
 * than starting them again, and commits after them as before ({@link EarlyStarts}).
 */
public final class Warmer implements AutoCloseable, EvictionListener {

  private static final Logger LOG = LoggerFactory.getLogger(Warmer.class);
  private static final Duration HELD_BATCH_RECHECK = Duration.ofMillis(100);

  /**
   * Statement timeouts in the last minute from which {@link #trouble} reports them, while some
   * kind's latest query timed out.
   */
  static final int TROUBLING_TIMEOUTS = 3;

  private final List<WarmableEntry> entries;
  private final Topics topics;
  private final CacheClient cache;
  private final EntryRecomputer recomputer;
  private final RateLimiter rate;
  private final KafkaConsumer<String, byte[]> consumer;
  private final ExecutorService recomputes;
  private final SingleFlight<String> flights;
  private final BatchedKinds batched;
  private final UnreadableReports unreadable;

  private final EarlyStarts early = new EarlyStarts();
  private final CommittingPollLoop<String, byte[]> loop;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final LongAdder queued = new LongAdder();
  private final StageProgress progress = new StageProgress();
  private final Duration pollBudget;

  /** The poll being warmed and its recomputes, held while they outlast a poll budget. */
  private ConsumerRecords<String, byte[]> warming;

  private CompletableFuture<Void> warmed;

  private Warmer(Settings settings, Consumer<Throwable> onFailure) {
    WarmerConfig config = WarmerConfig.from(settings);
    Connections connections = Connections.from(settings);
    this.entries = WarmableEntry.from(settings);
    this.topics = Topics.from(settings);
    Map<String, Object> kafkaClient = KafkaClients.shared(settings);
    TopicCreator.ensure(kafkaClient, topics);
    this.cache = CacheClient.builder().connections(connections).build();
    this.recomputer =
        new EntryRecomputer(cache, connections, config.poolSize(), config.statementTimeout());
    this.rate = new RateLimiter(config.maxRecomputesPerSecond(), System::nanoTime);
    this.recomputes =
        Executors.newFixedThreadPool(
            config.poolSize(), DaemonThreads.named("cachepipe-warmer-recompute"));
    Executor counted =
        task -> {
          queued.increment();
          recomputes.execute(
              () -> {
                try {
                  task.run();
                } finally {
                  queued.decrement();
                }
              });
        };
    this.flights = new SingleFlight<>(counted);
    this.batched = new BatchedKinds(entries, counted, new BatchRecomputer(cache, recomputer, rate));
    this.unreadable = new UnreadableReports(kafkaClient, topics.deadLetter());
    if (entries.isEmpty()) {
      LOG.info(
          "no warm kind is configured (cachepipe.warm.<name>.*, or {}=example): nothing to warm",
          WarmKinds.DEFAULTS.name());
    } else {
      LOG.info("warm kinds: {}", BatchedKinds.describe(entries));
    }
    Map<String, Object> consumerConfig =
        KafkaClients.manualCommitConsumer(kafkaClient, config.groupId(), config.consumer());
    this.pollBudget = KafkaClients.pollBudget(consumerConfig);
    this.consumer =
        new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new ByteArrayDeserializer());
    // Positions, committed once a batch's recomputes finished: a report read is a report warmed.
    this.loop =
        CommittingPollLoop.builder(consumer, List.of(topics.evictions()), this::warmBatch)
            .commit(Commit.POSITIONS)
            .onRebalance(early)
            .onFailure(onFailure)
            .build();
    loop.start("cachepipe-warmer");
  }

  /**
   * Starts the warmer.
   *
   * @param onFailure called if its poll loop dies; the sidecar ends the process
   */
  public static Warmer start(Settings settings, Consumer<Throwable> onFailure) {
    return new Warmer(settings, onFailure);
  }

  /**
   * Warms one poll's reports; returns when their recomputes finished. Waits at most a poll budget
   * at a time: while a slow database holds them up, the batch is held ({@link RetryBatchLater}) and
   * the consumer keeps polling, so it keeps its partitions and never replays the batch onto the
   * same slow database; the statement timeout ends every recompute.
   */
  private void warmBatch(ConsumerRecords<String, byte[]> records) {
    if (warming != records) {
      warming = records;
      warmed = startBatch(records);
    }
    try {
      warmed.get(pollBudget.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      progress.failing("waiting for the warm queries of a batch", backlog() + " recomputes queued");
      throw new RetryBatchLater("warm queries still running", HELD_BATCH_RECHECK);
    } catch (ExecutionException e) {
      // A recompute's own failure is counted and logged where it happens.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while warming", e);
    }
    if (!unreadable.awaitAll(pollBudget)) {
      progress.failing("sending dead letters", unreadable.lastFailure());
      throw new RetryBatchLater(unreadable.lastFailure(), HELD_BATCH_RECHECK);
    }
    warming = null;
    warmed = null;
    progress.progressed();
  }

  private CompletableFuture<Void> startBatch(ConsumerRecords<String, byte[]> records) {
    List<CompletableFuture<Void>> batch = new ArrayList<>();
    List<ConsumerRecord<String, byte[]>> unstarted = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> record : records) {
      CompletableFuture<Void> started = early.take(record.partition(), record.offset());
      if (started != null) {
        batch.add(started);
      } else {
        unstarted.add(record);
      }
    }
    Map<String, Recompute> keys =
        Recompute.liveWarmableKeys(entries, unstarted, unreadable::deadLetter);
    LOG.debug("{} eviction reports, {} warmable live keys", records.count(), keys.size());
    batch.add(warm(keys));
    return CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new));
  }

  /**
   * Starts a recompute of each key, single-flight per key; the rate limit is taken in the pool, so
   * this returns at once.
   *
   * @return completes when they have all finished
   */
  private CompletableFuture<Void> warm(Map<String, Recompute> keys) {
    List<CompletableFuture<Void>> running = new ArrayList<>(keys.size());
    Map<WarmableEntry, Map<String, Map<String, String>>> byKind = new LinkedHashMap<>();
    for (Recompute recompute : keys.values()) {
      if (batched.handles(recompute.entry())) {
        byKind
            .computeIfAbsent(recompute.entry(), kind -> new LinkedHashMap<>())
            .put(recompute.key(), recompute.params());
        continue;
      }
      running.add(
          flights.run(
              recompute.key(),
              () -> {
                rate.acquire();
                recomputer.recompute(recompute.entry(), recompute.key(), recompute.params());
              }));
    }
    // A kind's entries due together are recomputed together: one query per batch, not per entry.
    byKind.forEach((kind, due) -> running.add(batched.submit(kind, due)));
    return CompletableFuture.allOf(running.toArray(CompletableFuture[]::new));
  }

  /** Recomputes queued or running, and entries waiting for a batch or in one. */
  private long backlog() {
    return queued.sum() + batched.backlog();
  }

  /**
   * Starts the recomputes of a report that the invalidator in this process has just written, if
   * this warmer owns its partition (otherwise its owner will read it) and is not backed up.
   */
  @Override
  public void reported(EvictionReport report, int partition, long offset) {
    if (!running.get() || !early.mayStart(partition, backlog())) {
      return;
    }
    Map<String, Recompute> keys = new LinkedHashMap<>();
    Recompute.addLiveWarmableKeys(entries, report, keys);
    if (keys.isEmpty()) {
      return;
    }
    early.started(partition, offset, warm(keys));
  }

  /** Whether the warmer has joined its consumer group and was given partitions (possibly none). */
  public boolean isReady() {
    return loop.isAssigned();
  }

  /** Why the warmer ended by itself (it warms nothing more), or null while it has not. */
  public String failure() {
    return loop.failure();
  }

  /**
   * Why the warmer is held up or failing ("waiting for the warm queries of a batch for 12 s: …",
   * "warm queries of user_stats time out: 5 timeouts in the last minute"), or null when it is not.
   */
  public String trouble() {
    String held = progress.trouble();
    if (held != null) {
      return held;
    }
    return recomputer.timeouts.trouble(TROUBLING_TIMEOUTS);
  }

  /** When the warmer last finished warming a batch (or started). */
  public Instant lastProgress() {
    return progress.lastProgress();
  }

  /** What the warmer has done so far. */
  public WarmerStats stats() {
    return new WarmerStats(
        recomputer.warmed.sum(),
        recomputer.abandoned.sum(),
        recomputer.failed.sum(),
        backlog(),
        recomputer.recomputes.sum(),
        recomputer.recomputeNanos.sum(),
        early.count(),
        recomputer.leaseWaits.sum(),
        recomputer.timeouts.total(),
        unreadable.deadLettered(),
        cache.stats());
  }

  /**
   * The warmer's Kafka consumer, for metrics binders to read its {@code metrics()} (which is
   * thread-safe); it must not be used otherwise.
   */
  public org.apache.kafka.clients.consumer.Consumer<?, ?> kafkaConsumer() {
    return consumer;
  }

  @Override
  public void close() {
    running.set(false);
    loop.stop(Duration.ofSeconds(10));
    recomputes.shutdown();
    try {
      recomputes.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    recomputer.close();
    unreadable.close();
    cache.close();
  }
}
