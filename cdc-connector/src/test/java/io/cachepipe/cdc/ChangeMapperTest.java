package io.cachepipe.cdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.Op;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ChangeMapperTest {

  private static final Schema KEY =
      SchemaBuilder.struct()
          .name("cachepipe.public.posts.Key")
          .field("id", Schema.INT64_SCHEMA)
          .build();
  private static final Schema ROW =
      SchemaBuilder.struct()
          .name("cachepipe.public.posts.Value")
          .optional()
          .field("id", Schema.INT64_SCHEMA)
          .field("author_id", Schema.INT64_SCHEMA)
          .field("title", Schema.OPTIONAL_STRING_SCHEMA)
          .field("tags", SchemaBuilder.array(Schema.STRING_SCHEMA).optional().build())
          .field("thumbnail", Schema.OPTIONAL_BYTES_SCHEMA)
          .build();
  private static final Schema SOURCE =
      SchemaBuilder.struct()
          .name("io.debezium.connector.postgresql.Source")
          .field("schema", Schema.STRING_SCHEMA)
          .field("table", Schema.STRING_SCHEMA)
          .field("txId", Schema.OPTIONAL_INT64_SCHEMA)
          .field("lsn", Schema.OPTIONAL_INT64_SCHEMA)
          .field("ts_ms", Schema.INT64_SCHEMA)
          .field("ts_us", Schema.OPTIONAL_INT64_SCHEMA)
          .field("sequence", Schema.OPTIONAL_STRING_SCHEMA)
          .build();

  /** A source block of an older Debezium: milliseconds only. */
  private static final Schema SOURCE_MS_ONLY =
      SchemaBuilder.struct()
          .name("io.debezium.connector.postgresql.Source")
          .field("schema", Schema.STRING_SCHEMA)
          .field("table", Schema.STRING_SCHEMA)
          .field("txId", Schema.OPTIONAL_INT64_SCHEMA)
          .field("lsn", Schema.OPTIONAL_INT64_SCHEMA)
          .field("ts_ms", Schema.INT64_SCHEMA)
          .build();

  private static final long TS_MS = 1_760_000_000_123L;
  private static final long TS_US = 1_760_000_000_123_456L;

  @ParameterizedTest
  @CsvSource({"c, INSERT", "u, UPDATE", "d, DELETE", "r, SNAPSHOT"})
  void debeziumsOpCodesMapToOps(String code, Op op) {
    Struct before = code.equals("c") || code.equals("r") ? null : row(7, 1, "old");
    Struct after = code.equals("d") ? null : row(7, 2, "new");

    ChangeEvent change = ChangeMapper.map(record(code, before, after, source(SOURCE)));

    assertThat(change.op()).isEqualTo(op);
  }

  @Test
  void anUpdateCarriesTheQualifiedTableTheKeyAndBothImages() {
    ChangeEvent change =
        ChangeMapper.map(record("u", row(7, 1, "old"), row(7, 2, "new"), source(SOURCE)));

    assertThat(change.version()).isEqualTo(ChangeEvent.SCHEMA_VERSION);
    assertThat(change.table()).isEqualTo("public.posts");
    assertThat(change.key()).isEqualTo(Map.of("id", 7L));
    assertThat(change.before()).containsEntry("author_id", 1L).containsEntry("title", "old");
    assertThat(change.after()).containsEntry("author_id", 2L).containsEntry("title", "new");
    assertThat(change.after().get("tags")).isEqualTo(List.of("a", "b"));
    assertThat(change.lsn()).isEqualTo(987_654_321L);
    assertThat(change.txId()).isEqualTo(4242L);
    assertThat(change.recordKey()).isEqualTo("public.posts:{\"id\":7}");
  }

  @Test
  void anInsertHasNoBeforeImageAndADeleteNoAfterImage() {
    ChangeEvent insert = ChangeMapper.map(record("c", null, row(7, 1, "t"), source(SOURCE)));
    ChangeEvent delete = ChangeMapper.map(record("d", row(7, 1, "t"), null, source(SOURCE)));

    assertThat(insert.before()).isNull();
    assertThat(insert.after()).containsEntry("id", 7L);
    assertThat(delete.before()).containsEntry("author_id", 1L);
    assertThat(delete.after()).isNull();
  }

  @Test
  void theCommitTimeIsTakenInMicrosecondsWhenTheSourceHasThem() {
    ChangeEvent change = ChangeMapper.map(record("c", null, row(7, 1, "t"), source(SOURCE)));

    assertThat(change.commitMicros()).isEqualTo(TS_US);
  }

  @Test
  void withoutMicrosecondsTheCommitTimeComesFromMilliseconds() {
    ChangeEvent msOnly =
        ChangeMapper.map(record("c", null, row(7, 1, "t"), source(SOURCE_MS_ONLY)));
    Struct nullMicros = source(SOURCE).put("ts_us", null);
    ChangeEvent nullUs = ChangeMapper.map(record("c", null, row(7, 1, "t"), nullMicros));

    assertThat(msOnly.commitMicros()).isEqualTo(TS_MS * 1000);
    assertThat(nullUs.commitMicros()).isEqualTo(TS_MS * 1000);
  }

  @Test
  void theCommitPositionIsTheLastCommitDebeziumStreamedBeforeTheChange() {
    ChangeEvent change =
        ChangeMapper.map(record("u", row(7, 1, "a"), row(7, 2, "b"), source(SOURCE)));

    assertThat(change.commitLsn()).isEqualTo(987_000_000L);
    assertThat(change.lsn()).isEqualTo(987_654_321L);
  }

  @Test
  void withoutACommitStreamedYetTheCommitPositionIsTheChangesOwnLsn() {
    Struct firstAfterStart = source(SOURCE).put("sequence", "[null,\"987654321\"]");
    Struct noSequence = source(SOURCE).put("sequence", null);

    assertThat(ChangeMapper.map(record("c", null, row(7, 1, "t"), firstAfterStart)).commitLsn())
        .isEqualTo(987_654_321L);
    assertThat(ChangeMapper.map(record("c", null, row(7, 1, "t"), noSequence)).commitLsn())
        .isEqualTo(987_654_321L);
    assertThat(
            ChangeMapper.map(record("c", null, row(7, 1, "t"), source(SOURCE_MS_ONLY))).commitLsn())
        .isEqualTo(987_654_321L);
  }

  @Test
  void aMissingLsnOrTransactionIdBecomesZero() {
    Struct source = source(SOURCE).put("lsn", null).put("txId", null);

    ChangeEvent change = ChangeMapper.map(record("c", null, row(7, 1, "t"), source));

    assertThat(change.lsn()).isZero();
    assertThat(change.txId()).isZero();
  }

  @Test
  void bytesBecomeBase64Text() {
    byte[] png = {(byte) 0x89, 'P', 'N', 'G', 0, (byte) 0xff};
    String base64 = Base64.getEncoder().encodeToString(png);
    Struct asArray = row(7, 1, "t").put("thumbnail", png);
    Struct asBuffer = row(7, 1, "t").put("thumbnail", ByteBuffer.wrap(png));

    ChangeEvent fromArray = ChangeMapper.map(record("c", null, asArray, source(SOURCE)));
    ChangeEvent fromBuffer = ChangeMapper.map(record("c", null, asBuffer, source(SOURCE)));

    assertThat(fromArray.after().get("thumbnail")).isEqualTo(base64);
    assertThat(fromBuffer.after().get("thumbnail")).isEqualTo(base64);
    assertThat(new String(ChangeEvent.CONTRACT.encode(fromArray), StandardCharsets.UTF_8))
        .contains("\"thumbnail\":\"" + base64 + "\"");
  }

  @Test
  void aRecordThatIsNotAChangeEnvelopeIsRefused() {
    SourceRecord notAStruct =
        new SourceRecord(
            Map.of(),
            Map.of(),
            "cachepipe.public.posts",
            null,
            null,
            null,
            Schema.STRING_SCHEMA,
            "x");
    Schema noOp = SchemaBuilder.struct().field("after", ROW).build();
    SourceRecord noEnvelope =
        new SourceRecord(
            Map.of(),
            Map.of(),
            "cachepipe.public.posts",
            null,
            null,
            null,
            noOp,
            new Struct(noOp).put("after", row(7, 1, "t")));

    assertThatThrownBy(() -> ChangeMapper.map(notAStruct))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a change envelope");
    assertThatThrownBy(() -> ChangeMapper.map(noEnvelope)).isInstanceOf(RuntimeException.class);
  }

  @Test
  void heartbeatRecordsAreRecognisedByTheirTopic() {
    assertThat(ChangeMapper.isHeartbeat(topicRecord("__debezium-heartbeat.cachepipe"))).isTrue();
    assertThat(ChangeMapper.isHeartbeat(topicRecord("cachepipe.public.posts"))).isFalse();
    assertThat(ChangeMapper.isHeartbeat(topicRecord(null))).isFalse();
  }

  private static Struct row(long id, long authorId, String title) {
    return new Struct(ROW)
        .put("id", id)
        .put("author_id", authorId)
        .put("title", title)
        .put("tags", List.of("a", "b"));
  }

  private static Struct source(Schema schema) {
    Struct source =
        new Struct(schema)
            .put("schema", "public")
            .put("table", "posts")
            .put("txId", 4242L)
            .put("lsn", 987_654_321L)
            .put("ts_ms", TS_MS);
    if (schema.field("ts_us") != null) {
      source.put("ts_us", TS_US);
    }
    if (schema.field("sequence") != null) {
      source.put("sequence", "[\"987000000\",\"987654321\"]");
    }
    return source;
  }

  private static SourceRecord record(String op, Struct before, Struct after, Struct source) {
    Schema envelope =
        SchemaBuilder.struct()
            .name("cachepipe.public.posts.Envelope")
            .field("before", ROW)
            .field("after", ROW)
            .field("source", source.schema())
            .field("op", Schema.STRING_SCHEMA)
            .field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA)
            .build();
    Struct value =
        new Struct(envelope)
            .put("before", before)
            .put("after", after)
            .put("source", source)
            .put("op", op)
            .put("ts_ms", TS_MS + 5);
    Struct key = new Struct(KEY).put("id", (after != null ? after : before).getInt64("id"));
    return new SourceRecord(
        Map.of("server", "cachepipe"),
        Map.of("lsn", 987_654_321L),
        "cachepipe.public.posts",
        null,
        KEY,
        key,
        envelope,
        value);
  }

  private static SourceRecord topicRecord(String topic) {
    return new SourceRecord(Map.of(), Map.of(), topic, null, null, null, null, null);
  }
}
