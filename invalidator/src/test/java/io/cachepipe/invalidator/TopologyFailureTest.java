package io.cachepipe.invalidator;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.Op;
import io.cachepipe.core.change.Reduced;
import io.cachepipe.core.change.Watermark;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.kafka.DeadLetters;
import io.cachepipe.core.tag.TagRules;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
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

/** No record makes the invalidator's topology throw: what it cannot handle is dead-lettered. */
class TopologyFailureTest {

  private static final Topics TOPICS = Topics.from(Settings.empty());

  private final InvalidatorMetrics metrics = new InvalidatorMetrics();
  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> changes;
  private TestOutputTopic<String, byte[]> invalidationsOut;
  private TestOutputTopic<byte[], byte[]> deadLetters;

  private void start(Map<String, String> rules) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "topology-failure-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.putAll(InvalidationTopology.errorHandling(TOPICS, metrics));
    driver =
        new TopologyTestDriver(
            InvalidationTopology.build(TagRules.from(Settings.of(rules)), TOPICS, metrics), props);
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
    if (driver != null) {
      driver.close();
    }
  }

  @Test
  void aBlankTagIsDeadLetteredWithItsRuleWhileTheOtherTagsAndLaterChangesGoOn() {
    start(slugRules());
    for (String slug : new String[] {"", "   "}) {
      ChangeEvent change = post(7, slug);
      byte[] bytes = ChangeEvent.CONTRACT.encode(change);
      changes.pipeInput(change.recordKey().getBytes(StandardCharsets.UTF_8), bytes);

      TestRecord<byte[], byte[]> dead = deadLetters.readRecord();
      assertThat(dead.value()).isEqualTo(bytes);
      assertThat(DeadLetters.header(dead.headers(), DeadLetters.REASON))
          .contains("[slug]")
          .contains("blank tag");
      assertThat(DeadLetters.header(dead.headers(), DeadLetters.SOURCE))
          .startsWith(TOPICS.changes() + "/");
      assertThat(invalidationsOut.readKeyValuesToMap().keySet()).containsExactly("post:7");
    }
    ChangeEvent next = post(8, "hello");
    changes.pipeInput(
        next.recordKey().getBytes(StandardCharsets.UTF_8), ChangeEvent.CONTRACT.encode(next));

    assertThat(invalidationsOut.readKeyValuesToMap().keySet())
        .containsExactlyInAnyOrder("post:8", "hello");
    assertThat(deadLetters.isEmpty()).isTrue();
    assertThat(metrics.deadLettered()).isEqualTo(2);
  }

  @Test
  void aKeyOnlyChangeInvalidatesItsKeyTagsEvenUnderAColumnFilter() {
    Map<String, String> rules = postRule();
    rules.put("cachepipe.rule.post.columns", "body");
    start(rules);

    pipeKeyOnlyUpdateOfPost9();

    assertThat(invalidationsOut.readKeyValuesToMap().keySet()).containsExactly("post:9");
  }

  @Test
  void aKeyOnlyChangeThatRulesOverOtherColumnsCannotTagIsDeadLetteredAfterItsKeyTags() {
    Map<String, String> rules = postRule();
    rules.put("cachepipe.rule.author.table", "public.posts");
    rules.put("cachepipe.rule.author.tag", "user:{author_id}:posts");
    start(rules);

    byte[] bytes = pipeKeyOnlyUpdateOfPost9();

    assertThat(invalidationsOut.readKeyValuesToMap().keySet()).containsExactly("post:9");
    TestRecord<byte[], byte[]> dead = deadLetters.readRecord();
    assertThat(dead.value()).isEqualTo(bytes);
    assertThat(DeadLetters.header(dead.headers(), DeadLetters.REASON))
        .contains("[author]")
        .contains("cut down to its key")
        .contains("[post:9] were invalidated");
    assertThat(metrics.deadLettered()).isEqualTo(1);
  }

  private static Map<String, String> postRule() {
    Map<String, String> rules = new HashMap<>();
    rules.put("cachepipe.rule.post.table", "public.posts");
    rules.put("cachepipe.rule.post.tag", "post:{id}");
    return rules;
  }

  /**
   * Pipes an update of post 9 cut down to its key (as the cdc stage publishes a change too big even
   * as its rule columns); returns the record's value.
   */
  private byte[] pipeKeyOnlyUpdateOfPost9() {
    ChangeEvent change =
        ChangeEvent.of(
            Op.UPDATE, "public.posts", Map.of("id", 9), Map.of("id", 9), Map.of("id", 9), 5, 5, 5);
    RecordHeaders headers = new RecordHeaders();
    headers.add(Reduced.HEADER, Reduced.KEY_ONLY.headerValue());
    byte[] bytes = ChangeEvent.CONTRACT.encode(change);
    changes.pipeInput(
        new TestRecord<>(change.recordKey().getBytes(StandardCharsets.UTF_8), bytes, headers));
    return bytes;
  }

  @Test
  void aForgedWatermarkIsDeadLetteredAndLaterChangesGoOn() {
    start(Map.of());
    byte[] forged =
        "{\"v\":1,\"type\":\"watermark\",\"lsn\":9223372036854775807,\"source\":0,\"sources\":1}"
            .getBytes(StandardCharsets.UTF_8);
    changes.pipeInput(
        new TestRecord<>(
            Watermark.KEY.getBytes(StandardCharsets.UTF_8), forged, Watermark.headers()));
    ChangeEvent next = post(8, "x");
    changes.pipeInput(
        next.recordKey().getBytes(StandardCharsets.UTF_8), ChangeEvent.CONTRACT.encode(next));

    TestRecord<byte[], byte[]> dead = deadLetters.readRecord();
    assertThat(dead.value()).isEqualTo(forged);
    assertThat(DeadLetters.header(dead.headers(), DeadLetters.REASON)).contains("'lsn'");
    assertThat(invalidationsOut.readKeyValuesToMap().keySet()).containsExactly("post:8");
  }

  private static Map<String, String> slugRules() {
    Map<String, String> rules = new HashMap<>();
    rules.put("cachepipe.rule.post.table", "public.posts");
    rules.put("cachepipe.rule.post.tag", "post:{id}");
    rules.put("cachepipe.rule.slug.table", "public.posts");
    rules.put("cachepipe.rule.slug.tag", "{slug}");
    return rules;
  }

  private static ChangeEvent post(int id, String slug) {
    return ChangeEvent.of(
        Op.INSERT, "public.posts", Map.of("id", id), null, Map.of("id", id, "slug", slug), 1, 1, 1);
  }
}
