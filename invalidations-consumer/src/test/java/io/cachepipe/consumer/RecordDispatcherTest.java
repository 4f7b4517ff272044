package io.cachepipe.consumer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.change.Op;
import io.cachepipe.core.change.Watermark;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class RecordDispatcherTest {

  private static final TopicPartition P0 = new TopicPartition("inv", 0);

  private final List<Invalidation> invalidated = new ArrayList<>();
  private final List<Long> caughtUpAt = new ArrayList<>();
  private final List<Set<TopicPartition>> owned = new ArrayList<>();
  private final ConsumerStats stats = new ConsumerStats();
  private final CaughtUp caughtUp = new CaughtUp();
  private final RecordDispatcher dispatcher =
      new RecordDispatcher(
          new InvalidationListener() {
            @Override
            public void invalidated(Invalidation invalidation) {
              invalidated.add(invalidation);
            }

            @Override
            public void caughtUp(long position) {
              caughtUpAt.add(position);
            }

            @Override
            public void partitionsChanged(Set<TopicPartition> partitions) {
              owned.add(partitions);
            }
          },
          caughtUp,
          UnreadableRecords.skipping(stats),
          stats);

  @Test
  void invalidationsReachTheListenerAndWatermarksMoveThePosition() {
    dispatcher.onPartitionsAssigned(List.of(P0));
    Invalidation user = invalidation("user:42", 500);

    dispatcher.handle(
        records(
            record(0, "user:42", user.encode(), new RecordHeaders()),
            record(1, Watermark.KEY, Watermark.of(600, 0, 1).encode(), Watermark.headers())));

    assertThat(invalidated).containsExactly(user);
    assertThat(caughtUpAt).containsExactly(600L);
    assertThat(owned).containsExactly(Set.of(P0));
    assertThat(stats.invalidations()).isEqualTo(1);
    assertThat(stats.watermarks()).isEqualTo(1);
  }

  @Test
  void unreadableRecordsAreSkippedAndCountedWithoutADeadLetterTopic() {
    dispatcher.onPartitionsAssigned(List.of(P0));
    Invalidation after = invalidation("post:7", 900);

    dispatcher.handle(
        records(
            record(0, "x", "not json".getBytes(UTF_8), new RecordHeaders()),
            record(1, "x", "{\"v\":2,\"tag\":\"x\"}".getBytes(UTF_8), new RecordHeaders()),
            record(2, Watermark.KEY, "{\"v\":1}".getBytes(UTF_8), Watermark.headers()),
            record(3, "x", null, new RecordHeaders()),
            record(4, "post:7", after.encode(), new RecordHeaders())));

    assertThat(stats.skipped()).isEqualTo(4);
    assertThat(invalidated).as("what follows them still arrives").containsExactly(after);
    assertThat(caughtUp.position()).isEqualTo(-1);
  }

  @Test
  void aRecordWrittenBeforeCommitLsnExistedIsOrderedByItsLsn() {
    dispatcher.handle(
        records(
            record(
                0,
                "user:1",
                ("{\"v\":1,\"tag\":\"user:1\",\"table\":\"public.users\",\"op\":\"update\","
                        + "\"lsn\":77,\"commit_ts_us\":1,\"tx_id\":2,\"future_field\":true}")
                    .getBytes(UTF_8),
                new RecordHeaders())));

    assertThat(invalidated).singleElement().extracting(Invalidation::commitLsn).isEqualTo(77L);
  }

  @Test
  void aRevokeMakesThePositionUnknownAgainAndTellsTheListener() {
    dispatcher.onPartitionsAssigned(List.of(P0));
    dispatcher.handle(
        records(record(0, Watermark.KEY, Watermark.of(600, 0, 1).encode(), Watermark.headers())));

    dispatcher.onPartitionsRevoked(List.of(P0));

    assertThat(caughtUp.position()).isEqualTo(-1);
    assertThat(owned).containsExactly(Set.of(P0), Set.of());
    assertThat(stats.rebalances()).isEqualTo(2);
  }

  private static Invalidation invalidation(String tag, long commitLsn) {
    return new Invalidation(
        Invalidation.SCHEMA_VERSION,
        tag,
        "public.users",
        Op.UPDATE,
        commitLsn + 10,
        commitLsn,
        1,
        2);
  }

  private static ConsumerRecord<byte[], byte[]> record(
      long offset, String key, byte[] value, Headers headers) {
    return new ConsumerRecord<>(
        P0.topic(),
        P0.partition(),
        offset,
        1_000 + offset,
        TimestampType.CREATE_TIME,
        -1,
        value == null ? -1 : value.length,
        key.getBytes(UTF_8),
        value,
        headers,
        Optional.empty());
  }

  @SafeVarargs
  private static ConsumerRecords<byte[], byte[]> records(ConsumerRecord<byte[], byte[]>... list) {
    return new ConsumerRecords<>(
        Map.of(P0, List.of(list)), Map.<TopicPartition, OffsetAndMetadata>of());
  }
}
