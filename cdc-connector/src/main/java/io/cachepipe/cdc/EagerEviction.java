package io.cachepipe.cdc;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.EvictionListener;
import io.cachepipe.core.change.EvictionReport;
import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.concurrent.DaemonThreads;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.tag.TagRules;
import io.cachepipe.redis.evict.EvictionConfig;
import io.cachepipe.redis.evict.SingleAttemptEvictor;
import io.cachepipe.redis.evict.TagEvictor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The eviction at capture: each batch the engine hands over is tagged with the tag rules and its
 * tags evicted in Redis at each change's commit position, on a thread of its own, while the batch
 * is published to Kafka. The capture never waits for it: batches that arrive while Redis is busy
 * are evicted together in the next round trip, and beyond {@link #MAX_WAITING} waiting changes they
 * are left to the eviction through Kafka. A failure is counted and logged at most once a minute,
 * never retried: the eviction through Kafka stays the authority, keeps every guarantee, and skips
 * each tag evicted here first (the tag remembers the newest position it was evicted at).
 *
 * <p>An eviction that deleted cached entries is reported to the evictions topic, as the eviction
 * step reports its own, so that the warmer recomputes them; the eviction through Kafka then finds
 * the tag evicted and reports a skip, which is no duplicate.
 */
final class EagerEviction implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EagerEviction.class);

  /**
   * The most changes waiting for their eager eviction; beyond, batches are left to Kafka's path.
   */
  static final int MAX_WAITING = 10_000;

  private static final long LOG_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

  /** How long closing waits for the worker, twice: before and after interrupting it. */
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(1);

  private final TagRules rules;
  private final SingleAttemptEvictor evictor;
  private final Producer<byte[], byte[]> reports;
  private final String evictionsTopic;
  private final EagerEvictionStats stats = new EagerEvictionStats();
  private final Object lock = new Object();
  private List<List<ChangeEvent>> waiting = new ArrayList<>();
  private int waitingChanges;
  private volatile boolean running = true;
  private volatile EvictionListener listener = EvictionListener.NONE;
  private final Thread worker;
  private long lastLogNanos = System.nanoTime() - LOG_EVERY_NANOS;
  private long failuresSinceLog;

  private EagerEviction(
      TagRules rules,
      SingleAttemptEvictor evictor,
      Producer<byte[], byte[]> reports,
      String evictionsTopic) {
    this.rules = rules;
    this.evictor = evictor;
    this.reports = reports;
    this.evictionsTopic = evictionsTopic;
    this.worker = DaemonThreads.start("cachepipe-cdc-eager-eviction", this::run);
  }

  /**
   * Starts the eager eviction {@code settings} configure, or returns null when it is off.
   *
   * @param reports the producer the reports of deleted entries are sent with; not closed here
   */
  static EagerEviction startIf(
      Settings settings,
      TagRules rules,
      Connections connections,
      Producer<byte[], byte[]> reports,
      String evictionsTopic) {
    EagerEvictionConfig config = EagerEvictionConfig.from(settings);
    if (!config.enabled()) {
      LOG.info(
          "eager eviction off ({}): evictions through Kafka only",
          settings.get(EagerEvictionConfig.ENABLED)
              ? Connections.REDIS_URI.name() + " is not set"
              : EagerEvictionConfig.ENABLED.name() + "=false");
      return null;
    }
    SingleAttemptEvictor evictor =
        SingleAttemptEvictor.create(connections, EvictionConfig.from(settings), config.timeout());
    LOG.info("eager eviction on: {}", connections.redisAddress());
    return new EagerEviction(rules, evictor, reports, evictionsTopic);
  }

  /** Hands over a batch's changes; returns at once. */
  void offer(List<ChangeEvent> changes) {
    if (changes.isEmpty()) {
      return;
    }
    synchronized (lock) {
      if (waitingChanges + changes.size() > MAX_WAITING) {
        stats.droppedChanges.add(changes.size());
        return;
      }
      waiting.add(changes);
      waitingChanges += changes.size();
      lock.notifyAll();
    }
  }

  /** Tells {@code listener} of each report once Kafka has acknowledged it. */
  void onReported(EvictionListener listener) {
    this.listener = listener;
  }

  EagerEvictionStats stats() {
    return stats;
  }

  private void run() {
    try {
      evictor.connect();
    } catch (RuntimeException e) {
      // Not a failed eviction: the first batch connects again, and fails only if Redis is still
      // away then.
      LOG.info("eager eviction: Redis not reachable yet ({})", e.getMessage());
    }
    while (running) {
      List<List<ChangeEvent>> batches;
      synchronized (lock) {
        while (waiting.isEmpty() && running) {
          try {
            lock.wait();
          } catch (InterruptedException e) {
            return;
          }
        }
        batches = waiting;
        waiting = new ArrayList<>();
        waitingChanges = 0;
      }
      try {
        evict(batches);
      } catch (RuntimeException e) {
        // Whatever a change holds, the worker goes on: Kafka's path evicts it.
        failed(e, batches.stream().mapToInt(List::size).sum());
      }
    }
  }

  private void evict(List<List<ChangeEvent>> batches) {
    Map<String, Invalidation> newest = new LinkedHashMap<>();
    List<ChangeEvent> tagged = new ArrayList<>();
    for (List<ChangeEvent> batch : batches) {
      for (ChangeEvent change : batch) {
        TagRules.TagResult result = rules.tagsFor(change);
        if (result.tags().isEmpty()) {
          continue;
        }
        tagged.add(change);
        for (String tag : result.tags()) {
          newest.merge(
              tag, Invalidation.of(tag, change), (old, now) -> now.supersedes(old) ? now : old);
        }
      }
    }
    if (newest.isEmpty()) {
      return;
    }
    Map<String, Long> positions = new LinkedHashMap<>();
    newest.forEach((tag, invalidation) -> positions.put(tag, invalidation.commitLsn()));
    Map<String, TagEvictor.EvictedTag> evicted;
    try {
      evicted = evictor.evict(positions);
    } catch (RuntimeException e) {
      failed(e, tagged.size());
      return;
    }
    Instant now = Instant.now();
    long nowMicros = now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
    for (ChangeEvent change : tagged) {
      stats.latency().record(nowMicros - change.commitMicros());
    }
    stats.changes.add(tagged.size());
    evicted.forEach((tag, done) -> recordEvicted(newest.get(tag), done));
  }

  private void recordEvicted(Invalidation invalidation, TagEvictor.EvictedTag done) {
    (done.skipped() ? stats.skipped : stats.evictions).increment();
    stats.keysDeleted.add(done.liveCount());
    if (done.liveCount() == 0) {
      return;
    }
    EvictionReport report =
        EvictionReport.of(invalidation, done.liveKeys(), done.liveCount(), done.skipped());
    EvictionListener told = listener;
    try {
      reports.send(
          new ProducerRecord<>(
              evictionsTopic,
              invalidation.tag().getBytes(StandardCharsets.UTF_8),
              EvictionReport.CONTRACT.encode(report)),
          (written, error) -> {
            if (error == null) {
              told.reported(report, written.partition(), written.offset());
            } else {
              LOG.debug("eager eviction report of {}: {}", invalidation.tag(), error.getMessage());
            }
          });
    } catch (RuntimeException e) {
      // A lost report costs the warmer a recompute, never a stale entry.
      LOG.debug("eager eviction report of {}: {}", invalidation.tag(), e.getMessage());
    }
  }

  private void failed(RuntimeException e, int changes) {
    stats.failedChanges.add(changes);
    failuresSinceLog++;
    long now = System.nanoTime();
    if (now - lastLogNanos >= LOG_EVERY_NANOS) {
      LOG.warn(
          "eager eviction failed {} time(s) since last said ({}); Kafka's path evicts those"
              + " changes",
          failuresSinceLog,
          e.getMessage());
      lastLogNanos = now;
      failuresSinceLog = 0;
    }
  }

  /**
   * Stops the worker after the round trip in flight and closes the Redis connection. A worker still
   * handing a report to the producer after {@link #STOP_TIMEOUT} (a send waits for Kafka's metadata
   * while Kafka is unreachable) is interrupted: a report lost so is the Kafka path's to make.
   */
  @Override
  public void close() {
    running = false;
    synchronized (lock) {
      lock.notifyAll();
    }
    try {
      worker.join(STOP_TIMEOUT.toMillis());
      if (worker.isAlive()) {
        worker.interrupt();
        worker.join(STOP_TIMEOUT.toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    evictor.close();
  }
}
