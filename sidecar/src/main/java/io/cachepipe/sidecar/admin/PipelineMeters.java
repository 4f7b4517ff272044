package io.cachepipe.sidecar.admin;

import io.cachepipe.cdc.CaptureStats;
import io.cachepipe.cdc.ChangeCapture;
import io.cachepipe.cdc.EagerEvictionStats;
import io.cachepipe.client.CacheStats;
import io.cachepipe.invalidator.Invalidator;
import io.cachepipe.invalidator.InvalidatorMetrics;
import io.cachepipe.sidecar.Pipeline;
import io.cachepipe.warmer.Warmer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * The pipeline's meters, {@code cachepipe_*} in Prometheus: functions over the stages' own counters
 * (nothing is counted twice), and one timer that the invalidator's latency histogram feeds as it
 * records. Only the stages this process runs have meters.
 */
final class PipelineMeters implements MeterBinder {

  static final String CHANGES = "cachepipe.cdc.changes";
  static final String INVALIDATOR_CHANGES = "cachepipe.invalidator.changes";
  static final String DEAD_LETTERED = "cachepipe.dead.lettered";
  private static final String DEAD_LETTERED_HELP = "Messages sent to the dead-letter topic";
  static final String SLOT_RETAINED_WAL = "cachepipe.cdc.slot.retained.wal";
  static final String SLOT_LOST = "cachepipe.cdc.slot.lost";
  static final String CACHE_EPOCH = "cachepipe.cdc.cache.epoch";
  static final String LATENCY = "cachepipe.commit.to.eviction";
  static final String EAGER_EVICTIONS = "cachepipe.cdc.eager.evictions";
  static final String EAGER_SKIPPED = "cachepipe.cdc.eager.skipped";
  static final String EAGER_KEYS_DELETED = "cachepipe.cdc.eager.keys.deleted";
  static final String EAGER_FAILURES = "cachepipe.cdc.eager.failed.changes";
  static final String EAGER_LATENCY = "cachepipe.commit.to.eager.eviction";
  static final String EVICTIONS = "cachepipe.evictions";
  static final String KEYS_DELETED = "cachepipe.keys.deleted";
  static final String CACHE_READS = "cachepipe.cache.reads";
  static final String CACHE_FILLS = "cachepipe.cache.fills";
  static final String REDIS_KEYSPACE_READS = "cachepipe.redis.keyspace.reads";
  static final String WARMER_QUEUED = "cachepipe.warmer.queued";
  static final String WARMER_RECOMPUTE = "cachepipe.warmer.recompute";
  static final String WARMER_RECOMPUTES = "cachepipe.warmer.recomputes";

  private final Pipeline pipeline;
  private final Map<String, CacheStats> caches;
  private final SlotLagProbe slot;
  private final RedisProbe redis;

  /**
   * @param caches cache-clients of this process by name (the warmer's is added here)
   * @param slot the slot probe, or null without a cdc stage
   * @param redis the Redis probe, or null without a stage that writes Redis
   */
  PipelineMeters(
      Pipeline pipeline, Map<String, CacheStats> caches, SlotLagProbe slot, RedisProbe redis) {
    this.pipeline = pipeline;
    this.caches = caches;
    this.slot = slot;
    this.redis = redis;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    if (pipeline.capture() != null) {
      bindCapture(registry, pipeline.capture());
    }
    if (pipeline.invalidator() != null) {
      bindInvalidator(registry, pipeline.invalidator());
    }
    if (pipeline.warmer() != null) {
      bindWarmer(registry, pipeline.warmer());
      bindCache(registry, "warmer", pipeline.warmer().stats().cache());
    }
    caches.forEach((name, stats) -> bindCache(registry, name, stats));
    if (redis != null) {
      counter(REDIS_KEYSPACE_READS, redis, RedisProbe::keyspaceHits, "result", "hit")
          .description("Key lookups on the whole Redis server by result (INFO stats)")
          .register(registry);
      counter(REDIS_KEYSPACE_READS, redis, RedisProbe::keyspaceMisses, "result", "miss")
          .register(registry);
    }
  }

  private void bindCapture(MeterRegistry registry, ChangeCapture capture) {
    CaptureStats stats = capture.stats();
    for (String table : capture.tables()) {
      FunctionCounter.builder(CHANGES, stats, s -> s.captured(table))
          .tag("table", table)
          .description("Changes captured from the WAL and acknowledged by Kafka")
          .register(registry);
    }
    counter(DEAD_LETTERED, stats, CaptureStats::deadLettered, "stage", "cdc")
        .description(DEAD_LETTERED_HELP)
        .register(registry);
    FunctionCounter.builder("cachepipe.cdc.reduced.changes", stats, CaptureStats::reduced)
        .description(
            "Changes too big for Kafka, published cut down to the columns the tag rules read (or"
                + " their key) with the cachepipe.reduced header")
        .register(registry);
    Gauge.builder("cachepipe.cdc.last.lsn", stats, CaptureStats::lastLsn)
        .description("LSN of the newest change acknowledged by Kafka")
        .register(registry);
    FunctionCounter.builder(SLOT_LOST, stats, CaptureStats::slotLosses)
        .description(
            "Starts that found the replication slot dropped or invalidated: changes may have been"
                + " missed, so the cache was flushed")
        .register(registry);
    Gauge.builder(CACHE_EPOCH, stats, CaptureStats::epoch)
        .description("The cache epoch this process set when it last flushed the cache (0 = never)")
        .register(registry);
    capture.eagerEviction().ifPresent(eager -> bindEager(registry, eager));
    if (slot != null) {
      Gauge.builder(SLOT_RETAINED_WAL, slot, SlotLagProbe::retainedBytes)
          .tag("slot", slot.slot())
          .baseUnit("bytes")
          .description("WAL the replication slot keeps from being recycled (NaN when unknown)")
          .register(registry);
    }
  }

  private static void bindEager(MeterRegistry registry, EagerEvictionStats eager) {
    FunctionCounter.builder(EAGER_EVICTIONS, eager, EagerEvictionStats::evictions)
        .description("Tags evicted in Redis at capture, before the eviction through Kafka")
        .register(registry);
    FunctionCounter.builder(EAGER_SKIPPED, eager, EagerEvictionStats::skipped)
        .description(
            "Tags the eviction at capture found already evicted at their position (by the eviction"
                + " through Kafka)")
        .register(registry);
    FunctionCounter.builder(EAGER_KEYS_DELETED, eager, EagerEvictionStats::keysDeleted)
        .description("Cached entries deleted by evictions at capture (that existed)")
        .register(registry);
    counter(EAGER_FAILURES, eager, EagerEvictionStats::failedChanges, "reason", "redis")
        .description(
            "Changes not evicted at capture (Redis failed, or too many waited); Kafka's path"
                + " evicts them")
        .register(registry);
    counter(EAGER_FAILURES, eager, EagerEvictionStats::droppedChanges, "reason", "backlog")
        .register(registry);
    Timer latency =
        Timer.builder(EAGER_LATENCY)
            .description(
                "From the commit in PostgreSQL to the eviction at capture applied in Redis")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofSeconds(60))
            .register(registry);
    eager.latency().observe(micros -> latency.record(micros, TimeUnit.MICROSECONDS));
  }

  private void bindInvalidator(MeterRegistry registry, Invalidator invalidator) {
    InvalidatorMetrics m = invalidator.metrics();
    counter(INVALIDATOR_CHANGES, m, InvalidatorMetrics::changes, "watched", "true")
        .description("Changes the invalidator read, of tables with tag rules or without")
        .register(registry);
    counter(INVALIDATOR_CHANGES, m, InvalidatorMetrics::unwatchedChanges, "watched", "false")
        .register(registry);
    FunctionCounter.builder(EVICTIONS, m, InvalidatorMetrics::evictions)
        .description("Tags evicted in Redis")
        .register(registry);
    FunctionCounter.builder(KEYS_DELETED, m, InvalidatorMetrics::keysDeleted)
        .description("Cached entries deleted by evictions (that existed)")
        .register(registry);
    counter(DEAD_LETTERED, m, InvalidatorMetrics::deadLettered, "stage", "invalidator")
        .description(DEAD_LETTERED_HELP)
        .register(registry);
    FunctionCounter.builder(
            "cachepipe.invalidator.refused.by.redis", m, InvalidatorMetrics::refusedByRedis)
        .description(
            "Invalidations Redis refused for good (wrong type, missing permission, script"
                + " error): dead-lettered, the step goes on")
        .register(registry);
    FunctionCounter.builder("cachepipe.invalidator.coalesced", m, InvalidatorMetrics::coalesced)
        .description("Invalidations absorbed by a newer one of the same hot tag while held")
        .register(registry);
    Gauge.builder("cachepipe.invalidator.watermark.lsn", m, InvalidatorMetrics::watermark)
        .description(
            "Read-your-writes watermark: every change committed before this WAL position is"
                + " evicted (-1 until every partition reported)")
        .register(registry);
    Timer latency =
        Timer.builder(LATENCY)
            .description("From the commit in PostgreSQL to the eviction applied in Redis")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofSeconds(60))
            .register(registry);
    m.latency().observe(micros -> latency.record(micros, TimeUnit.MICROSECONDS));
  }

  private void bindWarmer(MeterRegistry registry, Warmer warmer) {
    Gauge.builder(WARMER_QUEUED, warmer, w -> w.stats().queued())
        .description("Recomputes taken from the evictions topic and not finished")
        .register(registry);
    FunctionTimer.builder(
            WARMER_RECOMPUTE,
            warmer,
            w -> w.stats().recomputes(),
            w -> w.stats().recomputeNanos(),
            TimeUnit.NANOSECONDS)
        .description("Recomputes of evicted entries: query and fenced fill, with retries")
        .register(registry);
    counter(WARMER_RECOMPUTES, warmer, w -> w.stats().warmed(), "outcome", "warmed")
        .description("Recomputes by outcome")
        .register(registry);
    counter(WARMER_RECOMPUTES, warmer, w -> w.stats().abandoned(), "outcome", "abandoned")
        .register(registry);
    counter(WARMER_RECOMPUTES, warmer, w -> w.stats().failed(), "outcome", "failed")
        .register(registry);
    counter(WARMER_RECOMPUTES, warmer, w -> w.stats().timedOut(), "outcome", "timed_out")
        .register(registry);
    counter(DEAD_LETTERED, warmer, w -> w.stats().deadLettered(), "stage", "warmer")
        .description(DEAD_LETTERED_HELP)
        .register(registry);
  }

  private static void bindCache(MeterRegistry registry, String client, CacheStats stats) {
    counter(CACHE_READS, stats, CacheStats::hits, "result", "hit")
        .tag("client", client)
        .description("Reads through the cache-client by result")
        .register(registry);
    counter(CACHE_READS, stats, CacheStats::misses, "result", "miss")
        .tag("client", client)
        .register(registry);
    counter(CACHE_FILLS, stats, CacheStats::fillsAccepted, "result", "accepted")
        .tag("client", client)
        .description("Fenced fills: written, or rejected because a tag moved meanwhile")
        .register(registry);
    counter(CACHE_FILLS, stats, CacheStats::fillsRejected, "result", "rejected")
        .tag("client", client)
        .register(registry);
    counter("cachepipe.cache.own.write.reads", stats, CacheStats::ownWriteWaits, "result", "waited")
        .tag("client", client)
        .description("Read-your-writes reads that waited for the watermark, or bypassed the cache")
        .register(registry);
    counter(
            "cachepipe.cache.own.write.reads",
            stats,
            CacheStats::ownWriteBypasses,
            "result",
            "bypassed")
        .tag("client", client)
        .register(registry);
    FunctionCounter.builder("cachepipe.cache.redis.errors", stats, CacheStats::redisErrors)
        .tag("client", client)
        .description("Redis calls of the cache-client that failed (the read went to the loader)")
        .register(registry);
  }

  private static <T> FunctionCounter.Builder<T> counter(
      String name, T state, ToDoubleFunction<T> count, String... tags) {
    return FunctionCounter.builder(name, state, count).tags(tags);
  }
}
