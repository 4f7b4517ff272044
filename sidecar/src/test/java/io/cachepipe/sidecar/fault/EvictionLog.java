package io.cachepipe.sidecar.fault;

import io.cachepipe.core.change.EvictionReport;
import io.cachepipe.core.json.MalformedMessageException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Everything the eviction step reported, read from the evictions topic from its beginning by a
 * plain consumer of the test's own (no group, so it commits nothing and survives broker restarts
 * and sidecar kills alike): which tags were evicted, when the test first saw each, and how many
 * times each change's eviction (tag and commit position) was applied, which counts the evictions
 * applied more than once. A report of an eviction skipped as already done (a replay after a crash,
 * or the same change evicted by another evictor first) covers its change but applied nothing, so it
 * is no duplicate.
 */
final class EvictionLog implements AutoCloseable {

  /**
   * One tag's reports: when the first was read, how many evictions were applied per commit
   * position, and how many were skipped.
   */
  static final class TagReports {
    final long firstSeenNanos;
    final Map<Long, Integer> appliedPerPosition = new ConcurrentHashMap<>();
    final LongAdder skipped = new LongAdder();

    TagReports(long firstSeenNanos) {
      this.firstSeenNanos = firstSeenNanos;
    }

    int total() {
      return appliedPerPosition.values().stream().mapToInt(Integer::intValue).sum()
          + skipped.intValue();
    }
  }

  private final KafkaConsumer<String, byte[]> consumer;
  private final String topic;
  private final Map<String, TagReports> tags = new ConcurrentHashMap<>();
  private final LongAdder unreadable = new LongAdder();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread thread;

  EvictionLog(String bootstrapServers, String topic) {
    this.topic = topic;
    this.consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ConsumerConfig.CLIENT_ID_CONFIG,
                "fault-it-eviction-log",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false),
            new StringDeserializer(),
            new ByteArrayDeserializer());
    this.thread = new Thread(this::run, "fault-eviction-log");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    try {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic, Duration.ofSeconds(60)).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      while (running.get()) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          record(record);
        }
      }
    } catch (WakeupException e) {
      // closed
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  private void record(ConsumerRecord<String, byte[]> record) {
    EvictionReport report;
    try {
      report = EvictionReport.CONTRACT.decode(record.value());
    } catch (MalformedMessageException e) {
      unreadable.increment();
      return;
    }
    long now = System.nanoTime();
    TagReports reports = tags.computeIfAbsent(report.tag(), t -> new TagReports(now));
    if (report.skipped()) {
      reports.skipped.increment();
    } else {
      reports.appliedPerPosition.merge(report.commitLsn(), 1, Integer::sum);
    }
  }

  /** Whether an eviction of {@code tag} was reported. */
  boolean evicted(String tag) {
    return tags.containsKey(tag);
  }

  /** The tags of {@code tags} of which no eviction was reported. */
  List<String> notEvicted(Collection<String> tags) {
    return tags.stream().filter(t -> !evicted(t)).toList();
  }

  /** When the test first read an eviction of {@code tag}, or -1. */
  long firstSeenNanos(String tag) {
    TagReports reports = tags.get(tag);
    return reports == null ? -1 : reports.firstSeenNanos;
  }

  /**
   * Evictions of the same change (tag and commit position) applied beyond the first, over {@code
   * tags}.
   */
  long duplicates(Collection<String> tags) {
    long duplicates = 0;
    for (String tag : tags) {
      TagReports reports = this.tags.get(tag);
      if (reports != null) {
        for (int n : reports.appliedPerPosition.values()) {
          duplicates += n - 1;
        }
      }
    }
    return duplicates;
  }

  /** Evictions skipped as already done (replays, second evictors), over {@code tags}. */
  long skipped(Collection<String> tags) {
    return tags.stream()
        .map(this.tags::get)
        .filter(Objects::nonNull)
        .mapToLong(r -> r.skipped.sum())
        .sum();
  }

  /** Every eviction reported of {@code tag}, duplicates and skipped ones included. */
  int reports(String tag) {
    TagReports reports = tags.get(tag);
    return reports == null ? 0 : reports.total();
  }

  long unreadable() {
    return unreadable.sum();
  }

  @Override
  public void close() {
    running.set(false);
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
