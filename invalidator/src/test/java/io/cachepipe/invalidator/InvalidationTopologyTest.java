package io.cachepipe.invalidator;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.change.Op;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.kafka.DeadLetters;
import io.cachepipe.core.tag.TagRules;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class InvalidationTopologyTest {

  private static final Topics TOPICS = Topics.from(Settings.empty());

  private final InvalidatorMetrics metrics = new InvalidatorMetrics();

  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> changes;
  private TestOutputTopic<String, byte[]> invalidationsOut;
  private TestOutputTopic<byte[], byte[]> deadLetters;

  @BeforeEach
  void startDriver() {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "invalidation-topology-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver =
        new TopologyTestDriver(
            InvalidationTopology.build(TagRules.from(Settings.empty()), TOPICS, metrics), props);
    changes =
        driver.createInputTopic(
            TOPICS.changes(), new ByteArraySerializer(), new ByteArraySerializer());
    invalidationsOut =
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
  void postUpdateInvalidatesThePostAndItsAuthorKeyedByTag() {
    ChangeEvent change =
        ChangeEvent.of(
            Op.UPDATE,
            "public.posts",
            Map.of("id", 7),
            Map.of("id", 7, "author_id", 1, "view_count", 1),
            Map.of("id", 7, "author_id", 1, "view_count", 2),
            1234,
            1_700_000_000_000_000L,
            99);
    pipe(change);

    List<TestRecord<String, byte[]>> out = invalidationsOut.readRecordsToList();
    assertThat(out).extracting(TestRecord::key).containsExactly("post:7", "user:1");
    Invalidation first = Invalidation.CONTRACT.decode(out.get(0).value());
    assertThat(first.tag()).isEqualTo("post:7");
    assertThat(first.table()).isEqualTo("public.posts");
    assertThat(first.op()).isEqualTo(Op.UPDATE);
    assertThat(first.lsn()).isEqualTo(1234);
    assertThat(first.commitMicros()).isEqualTo(1_700_000_000_000_000L);
    assertThat(first.txId()).isEqualTo(99);
  }

  @Test
  void postMovedBetweenAuthorsInvalidatesBothAuthors() {
    pipe(
        ChangeEvent.of(
            Op.UPDATE,
            "public.posts",
            Map.of("id", 7),
            Map.of("id", 7, "author_id", 1),
            Map.of("id", 7, "author_id", 2),
            1,
            1,
            1));

    assertThat(invalidationsOut.readKeyValuesToMap().keySet())
        .containsExactlyInAnyOrder("post:7", "user:1", "user:2");
  }

  @Test
  void changeOfUnwatchedTableInvalidatesNothingAndIsCounted() {
    pipe(
        ChangeEvent.of(
            Op.INSERT, "public.audit_log", Map.of("id", 1), null, Map.of("id", 1), 1, 1, 1));

    assertThat(invalidationsOut.isEmpty()).isTrue();
    assertThat(metrics.unwatchedChanges()).isEqualTo(1);
  }

  @Test
  void unreadableChangeIsDeadLetteredWithItsReasonAndTheStageGoesOn() {
    byte[] garbage = "{not json".getBytes(StandardCharsets.UTF_8);
    changes.pipeInput("k".getBytes(StandardCharsets.UTF_8), garbage);
    pipe(
        ChangeEvent.of(Op.DELETE, "public.users", Map.of("id", 5), Map.of("id", 5), null, 2, 2, 2));

    TestRecord<byte[], byte[]> dead = deadLetters.readRecord();
    assertThat(dead.value()).isEqualTo(garbage);
    assertThat(DeadLetters.header(dead.headers(), DeadLetters.REASON)).contains("not JSON");
    assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE))
        .startsWith(TOPICS.changes() + "/");
    assertThat(invalidationsOut.readKeyValuesToMap().keySet()).containsExactly("user:5");
    assertThat(metrics.deadLettered()).isEqualTo(1);
  }

  @Test
  void oneChangeYieldsOneRecordPerDistinctTag() {
    // author_id equals id: post:5 and user:5 are still two tags; before and after agree.
    pipe(
        ChangeEvent.of(
            Op.UPDATE,
            "public.posts",
            Map.of("id", 5),
            Map.of("id", 5, "author_id", 5),
            Map.of("id", 5, "author_id", 5),
            1,
            1,
            1));

    assertThat(invalidationsOut.readRecordsToList())
        .extracting(TestRecord::key)
        .containsExactly("post:5", "user:5");
  }

  private void pipe(ChangeEvent change) {
    changes.pipeInput(
        change.recordKey().getBytes(StandardCharsets.UTF_8), ChangeEvent.CONTRACT.encode(change));
  }
}
