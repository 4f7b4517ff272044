package io.cachepipe.invalidator;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.change.Op;
import io.cachepipe.core.change.Watermark;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.kafka.DeadLetters;
import io.cachepipe.core.tag.TagRules;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The coalescing step and the watermarks through it, on a mocked wall clock. */
class CoalescingTopologyTest {

  private static final Topics TOPICS = Topics.from(Settings.empty());
  private static final Duration MAX_DELAY = Duration.ofMillis(20);
  private static final Instant START = Instant.parse("2026-11-26T00:00:00Z");

  private final InvalidatorMetrics metrics = new InvalidatorMetrics();
  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> changes;
  private TestOutputTopic<String, byte[]> out;
  private TestOutputTopic<byte[], byte[]> deadLetters;
  private long nextLsn = 1_000;

  private void start(Duration maxDelay) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "coalescing-topology-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver =
        new TopologyTestDriver(
            InvalidationTopology.build(TagRules.from(Settings.empty()), TOPICS, maxDelay, metrics),
            props,
            START);
    changes =
        driver.createInputTopic(
            TOPICS.changes(), new ByteArraySerializer(), new ByteArraySerializer());
    out =
        driver.createOutputTopic(
            TOPICS.invalidations(), new StringDeserializer(), new ByteArrayDeserializer());
    deadLetters =
        driver.createOutputTopic(
            TOPICS.deadLetter(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  @AfterEach
  void closeDriver() {
    driver.close();
  }

  @Test
  void aQuietTagsInvalidationIsNotHeld() {
    start(MAX_DELAY);
    long lsn = viewPost(7, 1);

    List<Invalidation> passed = invalidations(out.readRecordsToList());
    assertThat(passed).extracting(Invalidation::tag).containsExactlyInAnyOrder("post:7", "user:1");
    assertThat(passed).allSatisfy(i -> assertThat(i.lsn()).isEqualTo(lsn));
  }

  @Test
  void aWriteStormOnOneAuthorLeavesAsOneEvictionPerWindowWithinTheDelay() {
    start(MAX_DELAY);
    // 1,000 updates/s for 200 ms to posts of author 1: each post once, the author every time.
    List<long[]> arrivals = new ArrayList<>(); // {wall clock ms, lsn}
    List<TestRecord<String, byte[]>> emitted = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      arrivals.add(new long[] {now, viewPost(100 + i, 1)});
      emitted.addAll(out.readRecordsToList());
      tick(1);
    }
    for (int i = 0; i < MAX_DELAY.toMillis(); i++) { // the storm is over: what is held leaves
      tick(1);
      emitted.addAll(out.readRecordsToList());
    }

    List<TestRecord<String, byte[]>> author =
        emitted.stream().filter(r -> r.key().equals("user:1")).toList();
    // Windows are the delay less the punctuation period (16 ms): 200 ms hold 13 of them, plus
    // the first, which passes at once.
    assertThat(author).hasSizeBetween(12, 14);
    assertThat(metrics.coalesced()).isEqualTo(200 - author.size());
    // Every post tag is quiet and passes at once.
    assertThat(emitted.stream().filter(r -> r.key().startsWith("post:"))).hasSize(200);

    // The last eviction of the author carries the newest LSN.
    long newest = arrivals.get(arrivals.size() - 1)[1];
    assertThat(Invalidation.CONTRACT.decode(author.get(author.size() - 1).value()).lsn())
        .isEqualTo(newest);
    // Each update is covered by an eviction of its author at most MAX_DELAY after it arrived.
    for (long[] arrival : arrivals) {
      TestRecord<String, byte[]> covering =
          author.stream()
              .filter(r -> Invalidation.CONTRACT.decode(r.value()).lsn() >= arrival[1])
              .findFirst()
              .orElseThrow();
      assertThat(covering.timestamp() - arrival[0])
          .as("delay of the update at lsn %d", arrival[1])
          .isBetween(0L, MAX_DELAY.toMillis());
    }
  }

  @Test
  void aHeldTagLeavesWithTheInvalidationOfTheLatestCommitNotTheHighestLsn() {
    start(MAX_DELAY);
    viewPost(7, 1); // opens user:1's window
    out.readRecordsToList();
    viewPost(8, 1, 5_000, 5_100); // a short transaction, committed first
    viewPost(9, 1, 1_100, 5_200); // a long one's early change: lower LSN, later commit

    tick(MAX_DELAY.toMillis());

    Invalidation author =
        invalidations(out.readRecordsToList()).stream()
            .filter(i -> i.tag().equals("user:1"))
            .findFirst()
            .orElseThrow();
    assertThat(author.commitLsn()).isEqualTo(5_200);
    assertThat(author.lsn()).isEqualTo(1_100);
  }

  @Test
  void zeroDelayPassesEveryInvalidation() {
    start(Duration.ZERO);
    for (int i = 0; i < 50; i++) {
      viewPost(100 + i, 1);
    }
    List<TestRecord<String, byte[]>> emitted = out.readRecordsToList();
    assertThat(emitted.stream().filter(r -> r.key().equals("user:1"))).hasSize(50);
    assertThat(metrics.coalesced()).isZero();
  }

  @Test
  void aWatermarkWaitsForTheInvalidationsHeldBeforeIt() {
    start(MAX_DELAY);
    viewPost(7, 1); // opens user:1's window
    out.readRecordsToList();
    long held = viewPost(8, 1); // user:1 is held; post:8 passes
    assertThat(out.readRecordsToList()).extracting(TestRecord::key).containsExactly("post:8");

    watermark(held + 1);
    assertThat(out.readRecordsToList()).as("nothing may overtake the held user:1").isEmpty();

    tick(MAX_DELAY.toMillis());
    List<TestRecord<String, byte[]>> flushed = out.readRecordsToList();
    assertThat(flushed).isNotEmpty();
    assertThat(flushed.get(0).key()).isEqualTo("user:1");
    assertThat(Invalidation.CONTRACT.decode(flushed.get(0).value()).lsn()).isEqualTo(held);
    List<TestRecord<String, byte[]>> marks = flushed.subList(1, flushed.size());
    assertThat(marks)
        .isNotEmpty()
        .allSatisfy(
            r -> {
              assertThat(r.key()).isEqualTo(Watermark.KEY);
              assertThat(Watermark.isWatermark(r.headers())).isTrue();
              assertThat(Watermark.CONTRACT.decode(r.value()).lsn()).isEqualTo(held + 1);
            });
  }

  @Test
  void aWatermarkWithNothingHeldPassesAtOnce() {
    start(MAX_DELAY);
    watermark(42);
    List<TestRecord<String, byte[]>> marks = out.readRecordsToList();
    assertThat(marks).isNotEmpty();
    assertThat(Watermark.CONTRACT.decode(marks.get(0).value()).lsn()).isEqualTo(42);
  }

  @Test
  void anUnreadableWatermarkIsDeadLetteredAndTheStageGoesOn() {
    start(MAX_DELAY);
    changes.pipeInput(
        new TestRecord<>(
            Watermark.KEY.getBytes(StandardCharsets.UTF_8),
            "{\"v\":1,\"type\":\"watermark\"".getBytes(StandardCharsets.UTF_8),
            Watermark.headers(),
            Instant.ofEpochMilli(now)));
    TestRecord<byte[], byte[]> dead = deadLetters.readRecord();
    assertThat(DeadLetters.header(dead.headers(), DeadLetters.REASON)).contains("watermark");
    assertThat(metrics.deadLettered()).isEqualTo(1);

    viewPost(7, 1);
    assertThat(out.readRecordsToList()).hasSize(2);
  }

  private long now = START.toEpochMilli();

  private void tick(long millis) {
    driver.advanceWallClockTime(Duration.ofMillis(millis));
    now += millis;
  }

  /** An update of post {@code id} of {@code author}'s view count; returns its LSN. */
  private long viewPost(long id, long author) {
    long lsn = nextLsn++;
    return viewPost(id, author, lsn, lsn);
  }

  /** The same, at the given LSN and commit position. */
  private long viewPost(long id, long author, long lsn, long commitLsn) {
    ChangeEvent change =
        ChangeEvent.of(
            Op.UPDATE,
            "public.posts",
            Map.of("id", id),
            Map.of("id", id, "author_id", author, "view_count", 1),
            Map.of("id", id, "author_id", author, "view_count", 2),
            lsn,
            commitLsn,
            now * 1000,
            lsn);
    changes.pipeInput(
        new TestRecord<>(
            change.recordKey().getBytes(StandardCharsets.UTF_8),
            ChangeEvent.CONTRACT.encode(change),
            new RecordHeaders(),
            Instant.ofEpochMilli(now)));
    return lsn;
  }

  private void watermark(long lsn) {
    changes.pipeInput(
        new TestRecord<>(
            Watermark.KEY.getBytes(StandardCharsets.UTF_8),
            Watermark.CONTRACT.encode(Watermark.of(lsn, 0, 1)),
            Watermark.headers(),
            Instant.ofEpochMilli(now)));
  }

  private static List<Invalidation> invalidations(List<TestRecord<String, byte[]>> records) {
    return records.stream().map(r -> Invalidation.CONTRACT.decode(r.value())).toList();
  }
}
