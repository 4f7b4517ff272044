package io.cachepipe.client;

import io.cachepipe.consumer.InvalidationListener;
import io.cachepipe.consumer.InvalidationsConsumer;
import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.concurrent.DaemonThreads;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-process tier of a {@link CacheClient}: entries in front of Redis, dropped by the public
 * invalidations topic through a consumer of its own ({@link InvalidationsConsumer}, in a group of
 * its own starting at the topic's end, since the tier starts empty).
 *
 * <p>It serves only while it is current ({@link #isCurrent}): its consumer runs, owns its
 * partitions, and the oldest of their newest watermarks is at most {@link
 * NearCacheOptions#maxStaleness} old. A consumer that lags, lost its broker or was given other
 * partitions stops being current, and reads bypass the tier; when its partitions change, or it is
 * restarted, the tier drops every entry, since invalidations may have passed it by.
 */
public final class NearCache implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(NearCache.class);

  private final NearCacheOptions options;
  private final NearEntries entries;
  private final NearCacheStats stats = new NearCacheStats();
  private final long maxStalenessMillis;
  private final Duration fillDeadline;
  private volatile InvalidationsConsumer consumer;
  private volatile boolean closed;

  /** True while the consumer is being replaced: the old one no longer applies anything. */
  private volatile boolean restarting;

  /** Held while the consumer is replaced or closed; never by a reader, nor by a callback. */
  private final Object lifecycle = new Object();

  /**
   * The newest watermark position of the first complete set the consumer read since its start or
   * the last drop, or -1. The consumer starts at the topic's end: an invalidation ahead of that was
   * never applied to the tier, so a value may come from Redis only once Redis' own watermark has
   * passed this (it then has applied every change the tier did not see).
   */
  private final AtomicReference<Barrier> barrier = new AtomicReference<>(new Barrier(0, -1));

  /** {@link #barrier}'s value, and how many drops came before it (a drop starts a new one). */
  private record Barrier(long drops, long position) {}

  NearCache(NearCacheOptions options, Duration fillDeadline) {
    this.options = options;
    this.fillDeadline = fillDeadline;
    this.entries =
        new NearEntries(options.maximumSize(), options.ttl(), fillDeadline, options.fenced());
    this.maxStalenessMillis = options.maxStaleness().toMillis();
    this.consumer = startConsumer();
  }

  /**
   * Whether the tier may serve: its consumer runs, and every change captured more than the
   * staleness bound ago has been applied to it.
   */
  public boolean isCurrent() {
    InvalidationsConsumer c = consumer;
    if (closed || restarting || c.failure().isPresent() || c.caughtUpPosition() < 0) {
      return false;
    }
    long oldest = c.oldestWatermarkMillis();
    return oldest >= 0 && System.currentTimeMillis() - oldest <= maxStalenessMillis;
  }

  /**
   * The WAL position before which every committed change has been applied to the tier, or -1: a
   * read after a write token below it may be served from the tier.
   */
  public long caughtUpPosition() {
    return consumer.caughtUpPosition();
  }

  /**
   * The JSON the tier holds for {@code key} and would serve while current, or null: for tests and
   * audits, which compare it with the source of truth.
   */
  public String peek(String key) {
    return entries.get(key);
  }

  /** Roughly how many entries the tier holds. */
  public long size() {
    return entries.size();
  }

  public NearCacheStats stats() {
    return stats;
  }

  /**
   * Replaces the consumer with a new one (in a new group, from the topic's end) and drops every
   * entry: what the tier does itself when its consumer fails.
   */
  public void restartConsumer() {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      restarting = true;
      try {
        consumer.close();
        consumer = startConsumer();
        // After the new consumer exists: nothing filled while the old one was closing is kept.
        drop("consumer restarted");
      } finally {
        restarting = false;
      }
    }
  }

  /** The entry's JSON if the tier is current and holds a servable one, else null (counted). */
  String read(String key) {
    if (!isCurrent()) {
      stats.bypasses.increment();
      return null;
    }
    String json = entries.get(key);
    (json == null ? stats.misses : stats.hits).increment();
    return json;
  }

  /**
   * A fill of an entry with {@code tags} begins: what it must check before it reads the value, or
   * null if the tier is not current (nothing is stored then).
   */
  NearFill begin(List<String> tags) {
    if (!isCurrent()) {
      return null;
    }
    long barrier = barrier();
    if (barrier < 0) {
      return null;
    }
    long[] applied = new long[tags.size()];
    for (int i = 0; i < applied.length; i++) {
      applied[i] = entries.appliedPosition(tags.get(i));
    }
    return new NearFill(List.copyOf(tags), entries.begin(), System.nanoTime(), barrier, applied);
  }

  /**
   * The barrier, taken from the consumer's first complete set of watermarks after the last drop; -1
   * if there is none yet, or a drop came while it was taken.
   */
  private long barrier() {
    Barrier current = barrier.get();
    if (current.position() >= 0) {
      return current.position();
    }
    long newest = consumer.newestWatermarkPosition();
    if (newest < 0) {
      return -1;
    }
    return barrier.compareAndSet(current, new Barrier(current.drops(), newest)) ? newest : -1;
  }

  /** Whether the tier checks that Redis is as far as it before it takes a value from there. */
  boolean fenced() {
    return options.fenced();
  }

  /**
   * Stores the value a fill read, unless the tier's fence or currency says no. Without the fence
   * the entry counts as begun when it is stored: invalidations applied while it loaded are missed.
   */
  void fill(String key, NearFill fill, String json) {
    long began = options.fenced() ? fill.sequence() : entries.begin();
    boolean stored =
        isCurrent()
            && System.nanoTime() - fill.beganNanos() <= fillDeadline.toNanos()
            && entries.put(key, new NearEntries.Entry(json, fill.tags(), began));
    (stored ? stats.fillsAccepted : stats.fillsRefused).increment();
  }

  /** A fill refused before it read its value: Redis is behind what the tier applied. */
  void refuse() {
    stats.fillsRefused.increment();
  }

  private InvalidationsConsumer startConsumer() {
    return InvalidationsConsumer.builder()
        .bootstrapServers(options.bootstrapServers())
        .groupId(options.groupPrefix() + "-" + UUID.randomUUID())
        .topic(options.topic())
        .properties(options.kafkaProperties())
        .startFromLatest()
        .listener(new Applier())
        .onFailure(this::consumerFailed)
        .start();
  }

  private void consumerFailed(Throwable e) {
    LOG.warn("near cache consumer failed, restarting it: {}", e.toString());
    DaemonThreads.start("cachepipe-near-restart", this::restartConsumer);
  }

  private void drop(String why) {
    barrier.updateAndGet(b -> new Barrier(b.drops() + 1, -1));
    entries.dropAll();
    stats.drops.increment();
    LOG.info("near cache dropped every entry: {}", why);
  }

  @Override
  public void close() {
    synchronized (lifecycle) {
      closed = true;
    }
    consumer.close();
    entries.dropAll();
  }

  private final class Applier implements InvalidationListener {
    @Override
    public void invalidated(Invalidation invalidation) {
      entries.invalidate(invalidation);
      stats.invalidations.increment();
    }

    @Override
    public void partitionsChanged(Set<TopicPartition> owned) {
      drop("partitions now " + owned);
    }
  }
}
