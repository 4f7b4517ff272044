package io.cachepipe.warmer;

import io.cachepipe.client.CacheClient;
import io.cachepipe.client.CacheStats;
import io.cachepipe.core.change.EvictionListener;
import io.cachepipe.core.change.EvictionReport;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.json.MalformedMessageException;
import io.cachepipe.core.kafka.CommitPacer;
import io.cachepipe.core.kafka.KafkaClients;
import io.cachepipe.core.kafka.TopicCreator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
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
 * follow-up. Offsets are committed after the batch's recomputes finished (at most every 100 ms, and
 * when a partition is revoked or the warmer stops): a crash re-warms, it never skips.
 *
 * <p>In a process that also runs the invalidator, the warmer is its {@link EvictionListener}: a
 * report for a partition this warmer owns starts its recomputes as soon as Kafka has acknowledged
 * it, instead of after the round trip of reading it back, which shortens the time an evicted hot
 * entry is a miss. When the consumer later reads that report, it waits for those recomputes rather
 * than starting them again, and commits after them as before.
 */
public final class Warmer implements AutoCloseable, EvictionListener {

  private static final Logger LOG = LoggerFactory.getLogger(Warmer.class);

  /**
   * Recomputes queued or running above which reports from the invalidator in this process are left
   * to the consumer, whose polling is what holds a write storm back.
   */
  static final int DIRECT_BACKLOG_LIMIT = 1_000;

  private final List<WarmableEntry> entries;
  private final Topics topics;
  private final CacheClient cache;
  private final EntryRecomputer recomputer;
  private final RateLimiter rate;
  private final KafkaConsumer<String, byte[]> consumer;
  private final ExecutorService recomputes;
  private final SingleFlight<String> flights;
  private final Set<Integer> owned = ConcurrentHashMap.newKeySet();
  private final Map<Integer, ConcurrentNavigableMap<Long, CompletableFuture<Void>>> startedEarly =
      new ConcurrentHashMap<>();
  private final LongAdder startedFromReports = new LongAdder();
  private final Thread poller;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final LongAdder queued = new LongAdder();
  private final Consumer<Throwable> onFailure;
  private volatile boolean assigned;

  private Warmer(Settings settings, Consumer<Throwable> onFailure) {
    this.onFailure = onFailure;
    WarmerConfig config = WarmerConfig.from(settings);
    Connections connections = Connections.from(settings);
    this.entries = WarmableEntry.from(settings);
    this.topics = Topics.from(settings);
    Map<String, Object> kafkaClient = KafkaClients.shared(settings);
    TopicCreator.ensure(kafkaClient, topics);
    this.cache = CacheClient.create(connections);
    this.recomputer = new EntryRecomputer(cache, connections, config.poolSize());
    this.rate = new RateLimiter(config.maxRecomputesPerSecond(), System::nanoTime);
    this.recomputes =
        Executors.newFixedThreadPool(config.poolSize(), daemon("cachepipe-warmer-recompute"));
    this.flights =
        new SingleFlight<>(
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
            });
    this.consumer = new KafkaConsumer<>(consumerConfig(config, kafkaClient));
    consumer.subscribe(
        List.of(topics.evictions()),
        new ConsumerRebalanceListener() {
          @Override
          public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            // Called inside poll or close, after the last batch's recomputes finished (unless the
            // loop failed): its positions are safe to commit, and the next owner starts after them.
            if (!pollFailed) {
              commitQuietly();
            }
            for (TopicPartition partition : partitions) {
              owned.remove(partition.partition());
              startedEarly.remove(partition.partition());
            }
          }

          @Override
          public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            partitions.forEach(partition -> owned.add(partition.partition()));
            assigned = true;
          }
        });
    this.poller = daemon("cachepipe-warmer").newThread(this::pollLoop);
    poller.start();
  }

  /**
   * Starts the warmer.
   *
   * @param onFailure called if its poll loop dies; the sidecar ends the process
   */
  public static Warmer start(Settings settings, Consumer<Throwable> onFailure) {
    return new Warmer(settings, onFailure);
  }

  /** Set when the poll loop failed: its positions may then be past reports not yet warmed. */
  private boolean pollFailed;

  private void pollLoop() {
    CommitPacer commits = new CommitPacer();
    try {
      while (running.get()) {
        ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(100));
        if (!records.isEmpty()) {
          warmBatch(records);
          commits.processed();
        }
        if (commits.due()) {
          consumer.commitAsync();
        }
      }
    } catch (WakeupException e) {
      if (running.get()) {
        onFailure.accept(e);
      }
    } catch (RuntimeException e) {
      pollFailed = true;
      LOG.error("warmer stopped: {}", e.getMessage(), e);
      onFailure.accept(e);
    } finally {
      if (commits.uncommitted() && !pollFailed) {
        commitQuietly();
      }
      consumer.close(Duration.ofSeconds(5));
    }
  }

  /** Warms one poll's reports; returns when their recomputes finished. */
  private void warmBatch(ConsumerRecords<String, byte[]> records) {
    List<CompletableFuture<Void>> batch = new ArrayList<>();
    List<ConsumerRecord<String, byte[]>> unstarted = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> record : records) {
      CompletableFuture<Void> early = takeStartedEarly(record.partition(), record.offset());
      if (early != null) {
        batch.add(early);
      } else {
        unstarted.add(record);
      }
    }
    Map<String, Recompute> keys = liveWarmableKeys(unstarted);
    LOG.debug("{} eviction reports, {} warmable live keys", records.count(), keys.size());
    batch.add(warm(keys));
    // A recompute's own failure is counted and logged where it happens.
    CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new))
        .exceptionally(e -> null)
        .join();
  }

  /** A failed commit only means the next owner or start re-warms a little more. */
  private void commitQuietly() {
    try {
      consumer.commitSync();
    } catch (RuntimeException e) {
      LOG.debug("committing the warmer's offsets: {}", e.getMessage());
    }
  }

  /** Distinct live keys of warmable kinds in {@code records}: a burst yields one recompute each. */
  private Map<String, Recompute> liveWarmableKeys(List<ConsumerRecord<String, byte[]>> records) {
    Map<String, Recompute> keys = new LinkedHashMap<>();
    for (ConsumerRecord<String, byte[]> record : records) {
      EvictionReport report;
      try {
        report = EvictionReport.CONTRACT.decode(record.value());
      } catch (MalformedMessageException e) {
        LOG.warn(
            "skipping unreadable eviction report at {}@{}: {}",
            record.partition(),
            record.offset(),
            e.getMessage());
        continue;
      }
      addLiveWarmableKeys(report, keys);
    }
    return keys;
  }

  private void addLiveWarmableKeys(EvictionReport report, Map<String, Recompute> keys) {
    for (String key : report.liveKeys()) {
      for (WarmableEntry entry : entries) {
        entry
            .match(key)
            .ifPresent(params -> keys.putIfAbsent(key, new Recompute(entry, key, params)));
      }
    }
  }

  /**
   * Starts a recompute of each key, single-flight per key; the rate limit is taken in the pool, so
   * this returns at once.
   *
   * @return completes when they have all finished
   */
  private CompletableFuture<Void> warm(Map<String, Recompute> keys) {
    List<CompletableFuture<Void>> running = new ArrayList<>(keys.size());
    for (Recompute recompute : keys.values()) {
      running.add(
          flights.run(
              recompute.key(),
              () -> {
                long wait = rate.reserve();
                if (wait > 0) {
                  LockSupport.parkNanos(wait);
                }
                recomputer.recompute(recompute.entry(), recompute.key(), recompute.params());
              }));
    }
    return CompletableFuture.allOf(running.toArray(CompletableFuture[]::new));
  }

  /**
   * Starts the recomputes of a report that the invalidator in this process has just written, if
   * this warmer owns its partition (otherwise its owner will read it) and is not backed up.
   */
  @Override
  public void reported(EvictionReport report, int partition, long offset) {
    if (!running.get() || !owned.contains(partition) || queued.sum() >= DIRECT_BACKLOG_LIMIT) {
      return;
    }
    Map<String, Recompute> keys = new LinkedHashMap<>();
    addLiveWarmableKeys(report, keys);
    if (keys.isEmpty()) {
      return;
    }
    startedFromReports.increment();
    startedEarly
        .computeIfAbsent(partition, p -> new ConcurrentSkipListMap<>())
        .put(offset, warm(keys));
  }

  /**
   * The recomputes already started for the report at {@code offset}, or null; forgets those of
   * earlier offsets, which the consumer has passed.
   */
  private CompletableFuture<Void> takeStartedEarly(int partition, long offset) {
    ConcurrentNavigableMap<Long, CompletableFuture<Void>> started = startedEarly.get(partition);
    if (started == null) {
      return null;
    }
    started.headMap(offset).clear();
    return started.remove(offset);
  }

  /** Whether the warmer has joined its consumer group and was given partitions (possibly none). */
  public boolean isReady() {
    return assigned;
  }

  /**
   * Eviction reports whose recomputes started as the invalidator in this process wrote them, before
   * the consumer read them.
   */
  public long startedFromReports() {
    return startedFromReports.sum();
  }

  /**
   * Recomputes that waited for another recompute of the same entry, by another warmer instance, to
   * finish ({@code EntryRecomputer}'s warm lease).
   */
  public long leaseWaits() {
    return recomputer.leaseWaits.sum();
  }

  /** Entries filled by the warmer. */
  public long warmed() {
    return recomputer.warmed.sum();
  }

  /**
   * Recomputes given up after {@link EntryRecomputer#MAX_ATTEMPTS} dropped fills (the entry stays a
   * miss).
   */
  public long abandoned() {
    return recomputer.abandoned.sum();
  }

  /** Recomputes that failed (logged). */
  public long failed() {
    return recomputer.failed.sum();
  }

  /**
   * Recomputes started and not finished: waiting for the pool, the rate limit or a connection, or
   * running (a follow-up waiting for its key's recompute in flight is not counted).
   */
  public long queued() {
    return queued.sum();
  }

  /** Recomputes finished, whatever their outcome. */
  public long recomputes() {
    return recomputer.recomputes.sum();
  }

  /** Time spent in the finished recomputes, in nanoseconds (queries, fills and their retries). */
  public long recomputeNanos() {
    return recomputer.recomputeNanos.sum();
  }

  /** What the warmer's own cache-client did: its fills accepted and rejected. */
  public CacheStats cacheStats() {
    return cache.stats();
  }

  /**
   * The warmer's Kafka consumer, for metrics binders to read its {@code metrics()} (which is
   * thread-safe); it must not be used otherwise.
   */
  public org.apache.kafka.clients.consumer.Consumer<?, ?> kafkaConsumer() {
    return consumer;
  }

  private record Recompute(WarmableEntry entry, String key, Map<String, String> params) {}

  private static Map<String, Object> consumerConfig(
      WarmerConfig config, Map<String, Object> kafkaClient) {
    Map<String, Object> c = new HashMap<>(kafkaClient);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    c.putAll(config.consumer());
    return c;
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public void close() {
    running.set(false);
    consumer.wakeup();
    try {
      poller.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    recomputes.shutdown();
    try {
      recomputes.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    recomputer.close();
    cache.close();
  }
}
