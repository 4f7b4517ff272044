package io.cachepipe.warmer;

import io.cachepipe.client.CacheClient;
import io.cachepipe.client.CacheStats;
import io.cachepipe.core.change.EvictionReport;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.json.MalformedMessageException;
import io.cachepipe.core.kafka.KafkaClients;
import io.cachepipe.core.kafka.TopicCreator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
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
 * <p>Offsets are committed after the batch's recomputes finished: a crash re-warms, it never skips.
 */
public final class Warmer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Warmer.class);

  private final List<WarmableEntry> entries;
  private final Topics topics;
  private final CacheClient cache;
  private final EntryRecomputer recomputer;
  private final RateLimiter rate;
  private final KafkaConsumer<String, byte[]> consumer;
  private final ExecutorService recomputes;
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
    this.cache = CacheClient.create(connections.redisUri(), connections.redisTls());
    this.recomputer = new EntryRecomputer(cache, connections, config.poolSize());
    this.rate = new RateLimiter(config.maxRecomputesPerSecond(), System::nanoTime);
    this.recomputes =
        Executors.newFixedThreadPool(config.poolSize(), daemon("cachepipe-warmer-recompute"));
    this.consumer = new KafkaConsumer<>(consumerConfig(config, kafkaClient));
    consumer.subscribe(
        List.of(topics.evictions()),
        new ConsumerRebalanceListener() {
          @Override
          public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}

          @Override
          public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
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

  private void pollLoop() {
    try {
      while (running.get()) {
        ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(200));
        if (records.isEmpty()) {
          continue;
        }
        Map<String, Recompute> keys = liveWarmableKeys(records);
        LOG.debug("{} eviction reports, {} warmable live keys", records.count(), keys.size());
        warm(keys);
        consumer.commitSync();
      }
    } catch (WakeupException e) {
      if (running.get()) {
        onFailure.accept(e);
      }
    } catch (RuntimeException e) {
      LOG.error("warmer stopped: {}", e.getMessage(), e);
      onFailure.accept(e);
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  /** Distinct live keys of warmable kinds in {@code records}: a burst yields one recompute each. */
  private Map<String, Recompute> liveWarmableKeys(ConsumerRecords<String, byte[]> records) {
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
      for (String key : report.liveKeys()) {
        for (WarmableEntry entry : entries) {
          entry
              .match(key)
              .ifPresent(params -> keys.putIfAbsent(key, new Recompute(entry, key, params)));
        }
      }
    }
    return keys;
  }

  private void warm(Map<String, Recompute> keys) {
    List<CompletableFuture<Void>> running = new ArrayList<>(keys.size());
    queued.add(keys.size());
    for (Recompute recompute : keys.values()) {
      long wait = rate.reserve();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      running.add(
          CompletableFuture.runAsync(
              () -> {
                try {
                  recomputer.recompute(recompute.entry(), recompute.key(), recompute.params());
                } finally {
                  queued.decrement();
                }
              },
              recomputes));
    }
    CompletableFuture.allOf(running.toArray(CompletableFuture[]::new)).join();
  }

  /** Whether the warmer has joined its consumer group and was given partitions (possibly none). */
  public boolean isReady() {
    return assigned;
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
   * Recomputes of the batch in hand that have not finished: waiting for the rate limit or a pool
   * connection, or running.
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
