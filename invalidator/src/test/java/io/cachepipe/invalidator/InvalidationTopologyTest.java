package io.cachepipe.invalidator;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.EvictionReport;
import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.change.Op;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.kafka.DeadLetters;
import io.cachepipe.core.tag.TagRules;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
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

  /** Records the tags it was asked to evict; reports one live key per tag. */
  private final List<String> evicted = new ArrayList<>();
  private final TagEvictor evictor =
      tag -> {
        evicted.add(tag);
        return List.of("cp:entry:" + tag);
      };
  private final InvalidatorMetrics metrics = new InvalidatorMetrics();

  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> changes;
  private TestOutputTopic<String, byte[]> invalidationsOut;
  private TestInputTopic<String, byte[]> invalidationsIn;
  private TestOutputTopic<String, byte[]> evictions;
  private TestOutputTopic<byte[], byte[]> deadLetters;

  @BeforeEach
  void startDriver() {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "invalidation-topology-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver =
        new TopologyTestDriver(
            InvalidationTopology.build(TagRules.from(Settings.empty()), TOPICS, evictor, metrics),
            props);
    changes =
        driver.createInputTopic(TOPICS.changes(), new ByteArraySerializer(), new ByteArraySerializer());
    invalidationsOut =
        driver.createOutputTopic(TOPICS.invalidations(), new StringDeserializer(), new ByteArrayDeserializer());
    invalidationsIn =
        driver.createInputTopic(TOPICS.invalidations(), new StringSerializer(), new ByteArraySerializer());
    evictions =
        driver.createOutputTopic(TOPICS.evictions(), new StringDeserializer(), new ByteArrayDeserializer());
    deadLetters =
        driver.createOutputTopic(TOPICS.deadLetter(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  @AfterEach
  void closeDriver() {
    driver.close();
  }

  @Test
  void postUpdateInvalidatesThePostAndItsAuthorKeyedByTag() {
    ChangeEvent change =
        ChangeEvent.of(
            Op.UPDATE, "public.posts", Map.of("id", 7),
            Map.of("id", 7, "author_id", 1, "view_count", 1),
            Map.of("id", 7, "author_id", 1, "view_count", 2),
            1234, 1_700_000_000_000_000L, 99);
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
            Op.UPDATE, "public.posts", Map.of("id", 7),
            Map.of("id", 7, "author_id", 1), Map.of("id", 7, "author_id", 2), 1, 1, 1));

    assertThat(invalidationsOut.readKeyValuesToMap().keySet())
        .containsExactlyInAnyOrder("post:7", "user:1", "user:2");
  }

  @Test
  void changeOfUnwatchedTableInvalidatesNothingAndIsCounted() {
    pipe(ChangeEvent.of(Op.INSERT, "public.audit_log", Map.of("id", 1), null, Map.of("id", 1), 1, 1, 1));

    assertThat(invalidationsOut.isEmpty()).isTrue();
    assertThat(metrics.unwatchedChanges()).isEqualTo(1);
  }

  @Test
  void unreadableChangeIsDeadLetteredWithItsReasonAndTheStageGoesOn() {
    byte[] garbage = "{not json".getBytes(StandardCharsets.UTF_8);
    changes.pipeInput("k".getBytes(StandardCharsets.UTF_8), garbage);
    pipe(ChangeEvent.of(Op.DELETE, "public.users", Map.of("id", 5), Map.of("id", 5), null, 2, 2, 2));

    TestRecord<byte[], byte[]> dead = deadLetters.readRecord();
    assertThat(dead.value()).isEqualTo(garbage);
    assertThat(DeadLetters.header(dead.headers(), DeadLetters.REASON)).contains("not JSON");
    assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE)).startsWith(TOPICS.changes() + "/");
    assertThat(invalidationsOut.readKeyValuesToMap().keySet()).containsExactly("user:5");
    assertThat(metrics.deadLettered()).isEqualTo(1);
  }

  @Test
  void invalidationIsEvictedThenReportedWithTheLiveKeys() {
    Invalidation invalidation =
        Invalidation.of(
            "user:3",
            ChangeEvent.of(Op.UPDATE, "public.users", Map.of("id", 3), Map.of("id", 3), Map.of("id", 3), 77, 5, 6));
    invalidationsIn.pipeInput("user:3", Invalidation.CONTRACT.encode(invalidation));

    assertThat(evicted).containsExactly("user:3");
    TestRecord<String, byte[]> report = evictions.readRecord();
    assertThat(report.key()).isEqualTo("user:3");
    EvictionReport decoded = EvictionReport.CONTRACT.decode(report.value());
    assertThat(decoded.liveKeys()).containsExactly("cp:entry:user:3");
    assertThat(decoded.lsn()).isEqualTo(77);
    assertThat(metrics.evictions()).isEqualTo(1);
    assertThat(metrics.keysDeleted()).isEqualTo(1);
  }

  @Test
  void invalidationOfAnotherSchemaVersionIsDeadLetteredNotEvicted() {
    byte[] future = "{\"v\":2,\"tag\":\"user:3\"}".getBytes(StandardCharsets.UTF_8);
    invalidationsIn.pipeInput("user:3", future);

    assertThat(evicted).isEmpty();
    TestRecord<byte[], byte[]> dead = deadLetters.readRecord();
    assertThat(new String(dead.key(), StandardCharsets.UTF_8)).isEqualTo("user:3");
    assertThat(DeadLetters.header(dead.headers(), DeadLetters.REASON)).contains("schema version 2");
  }

  @Test
  void changeFlowsThroughToEvictionOfEachTag() {
    pipe(ChangeEvent.of(Op.INSERT, "public.posts", Map.of("id", 9), null, Map.of("id", 9, "author_id", 4), 1, 1, 1));
    // The driver, like a broker, delivers what the first sub-topology writes to the second.

    assertThat(evicted).containsExactly("post:9", "user:4");
    assertThat(evictions.readKeyValuesToMap().keySet()).containsExactlyInAnyOrder("post:9", "user:4");
  }

  private void pipe(ChangeEvent change) {
    changes.pipeInput(
        change.recordKey().getBytes(StandardCharsets.UTF_8), ChangeEvent.CONTRACT.encode(change));
  }
}
