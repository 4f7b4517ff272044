package io.cachepipe.core.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.EvictionReport;
import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.change.Op;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The versioned JSON contracts of the changes, invalidations and evictions topics. */
class JsonContractTest {

  private static byte[] utf8(String json) {
    return json.getBytes(StandardCharsets.UTF_8);
  }

  private static JsonNode tree(byte[] bytes) throws Exception {
    return Json.mapper().readTree(bytes);
  }

  private static final String INVALIDATION_JSON =
      """
      {"v":1,"tag":"user:42","table":"public.posts","op":"update",
       "lsn":123456789,"commit_lsn":123460000,"commit_ts_us":1700000000000001,"tx_id":987}
      """;

  @Test
  void changeEventSurvivesARoundTrip() {
    ChangeEvent change =
        ChangeEvent.of(
            Op.UPDATE,
            "public.posts",
            Map.of("id", 7),
            Map.of("id", 7, "author_id", 1, "title", "old"),
            Map.of("id", 7, "author_id", 2, "title", "new"),
            123_456_789L,
            1_700_000_000_000_001L,
            987L);

    assertThat(ChangeEvent.CONTRACT.decode(ChangeEvent.CONTRACT.encode(change))).isEqualTo(change);
  }

  @Test
  void insertWithoutBeforeImageSurvivesARoundTripAndOmitsBefore() throws Exception {
    ChangeEvent insert =
        ChangeEvent.of(
            Op.INSERT, "public.users", Map.of("id", 1), null, Map.of("id", 1), 5L, 6L, 7L);

    byte[] bytes = ChangeEvent.CONTRACT.encode(insert);

    assertThat(tree(bytes).has("before")).isFalse();
    assertThat(ChangeEvent.CONTRACT.decode(bytes)).isEqualTo(insert);
  }

  @Test
  void invalidationSurvivesARoundTrip() {
    Invalidation invalidation =
        new Invalidation(1, "user:42", "public.posts", Op.DELETE, 10L, 15L, 20L, 30L);

    assertThat(Invalidation.CONTRACT.decode(Invalidation.CONTRACT.encode(invalidation)))
        .isEqualTo(invalidation);
  }

  @Test
  void evictionReportSurvivesARoundTrip() {
    EvictionReport report =
        new EvictionReport(
            1, "user:42", 10L, 15L, 20L, List.of("cp:user:42", "cp:user_stats:42"), 3, false);

    assertThat(EvictionReport.CONTRACT.decode(EvictionReport.CONTRACT.encode(report)))
        .isEqualTo(report);
  }

  @Test
  void evictionReportOfAnInvalidationCarriesItsTagPositionsAndCommitTime() {
    Invalidation invalidation =
        new Invalidation(1, "post:7", "public.posts", Op.UPDATE, 10L, 15L, 20L, 30L);

    EvictionReport report = EvictionReport.of(invalidation, List.of("cp:post:7"), 1, true);

    assertThat(report)
        .isEqualTo(new EvictionReport(1, "post:7", 10L, 15L, 20L, List.of("cp:post:7"), 1, true));
  }

  @Test
  void messagesWrittenBeforeTheCommitPositionExistedDecodeWithTheirOwnLsnInItsPlace() {
    String change =
        """
        {"v":1,"op":"insert","table":"public.posts","key":{"id":7},"after":{"id":7},
         "lsn":11,"commit_ts_us":22,"tx_id":33}
        """;
    String invalidation =
        """
        {"v":1,"tag":"post:7","table":"public.posts","op":"insert","lsn":11,"commit_ts_us":22,
         "tx_id":33}
        """;
    String report =
        """
        {"v":1,"tag":"post:7","lsn":11,"commit_ts_us":22,"live_keys":["cp:post:7"]}
        """;

    assertThat(ChangeEvent.CONTRACT.decode(utf8(change)).commitLsn()).isEqualTo(11);
    assertThat(Invalidation.CONTRACT.decode(utf8(invalidation)).commitLsn()).isEqualTo(11);
    assertThat(EvictionReport.CONTRACT.decode(utf8(report)))
        .isEqualTo(new EvictionReport(1, "post:7", 11, 11, 22, List.of("cp:post:7"), 1, false));
  }

  @Test
  void aChangeCarriesItsTransactionsCommitPositionApartFromItsOwn() throws Exception {
    ChangeEvent change =
        ChangeEvent.of(
            Op.INSERT, "public.users", Map.of("id", 1), null, Map.of("id", 1), 5L, 9L, 6L, 7L);

    JsonNode json = tree(ChangeEvent.CONTRACT.encode(change));

    assertThat(json.get("lsn").asLong()).isEqualTo(5);
    assertThat(json.get("commit_lsn").asLong()).isEqualTo(9);
    assertThat(ChangeEvent.CONTRACT.decode(ChangeEvent.CONTRACT.encode(change))).isEqualTo(change);
  }

  @Test
  void invalidationIsEncodedWithThePublicContractFieldNames() throws Exception {
    Invalidation invalidation =
        new Invalidation(
            1,
            "user:42",
            "public.posts",
            Op.UPDATE,
            123456789L,
            123460000L,
            1700000000000001L,
            987L);

    assertThat(tree(Invalidation.CONTRACT.encode(invalidation)))
        .isEqualTo(tree(utf8(INVALIDATION_JSON)));
  }

  @Test
  void publishedInvalidationJsonDecodes() {
    assertThat(Invalidation.CONTRACT.decode(utf8(INVALIDATION_JSON)))
        .isEqualTo(
            new Invalidation(
                1,
                "user:42",
                "public.posts",
                Op.UPDATE,
                123456789L,
                123460000L,
                1700000000000001L,
                987L));
  }

  @Test
  void invalidationOfAChangeCarriesTheChangesTableOpLsnCommitTimeAndTransaction() {
    ChangeEvent change =
        ChangeEvent.of(
            Op.DELETE, "public.posts", Map.of("id", 7), Map.of("id", 7), null, 11L, 12L, 22L, 33L);

    assertThat(Invalidation.of("post:7", change))
        .isEqualTo(new Invalidation(1, "post:7", "public.posts", Op.DELETE, 11L, 12L, 22L, 33L));
  }

  @Test
  void opsAreWrittenWithTheirWireNames() throws Exception {
    Map<Op, String> expected =
        Map.of(Op.INSERT, "insert", Op.UPDATE, "update", Op.DELETE, "delete");
    for (var entry : expected.entrySet()) {
      Invalidation invalidation = new Invalidation(1, "t", "public.x", entry.getKey(), 1, 1, 2, 3);

      assertThat(tree(Invalidation.CONTRACT.encode(invalidation)).get("op").asText())
          .isEqualTo(entry.getValue());
    }
  }

  @Test
  void unknownExtraFieldsAreIgnored() {
    String json =
        """
        {"v":1,"tag":"user:42","table":"public.posts","op":"insert","lsn":1,
         "commit_ts_us":2,"tx_id":3,"added_in_1_1":{"nested":[1,2]},"origin":"eu"}
        """;

    assertThat(Invalidation.CONTRACT.decode(utf8(json)))
        .isEqualTo(new Invalidation(1, "user:42", "public.posts", Op.INSERT, 1, 1, 2, 3));
  }

  @Test
  void debeziumOpLettersAreAcceptedInMessages() {
    String json =
        """
        {"v":1,"tag":"user:42","table":"public.posts","op":"c","lsn":1,"commit_ts_us":2,"tx_id":3}
        """;

    assertThat(Invalidation.CONTRACT.decode(utf8(json)).op()).isEqualTo(Op.INSERT);
  }

  @Test
  void nullBytesAreMalformed() {
    assertThatThrownBy(() -> Invalidation.CONTRACT.decode(null))
        .isInstanceOf(MalformedMessageException.class)
        .hasMessageContaining("invalidation")
        .hasMessageContaining("null");
  }

  @Test
  void textThatIsNotJsonIsMalformed() {
    assertThatThrownBy(() -> Invalidation.CONTRACT.decode(utf8("user:42 evicted")))
        .isInstanceOf(MalformedMessageException.class)
        .hasMessageStartingWith("invalidation: not JSON");
  }

  @Test
  void truncatedJsonIsMalformed() {
    assertThatThrownBy(() -> Invalidation.CONTRACT.decode(utf8("{\"v\":1,\"tag\":\"us")))
        .isInstanceOf(MalformedMessageException.class)
        .hasMessageContaining("not JSON");
  }

  @Test
  void jsonArrayIsMalformed() {
    assertThatThrownBy(() -> Invalidation.CONTRACT.decode(utf8("[{\"v\":1}]")))
        .isInstanceOf(MalformedMessageException.class)
        .hasMessageContaining("expected a JSON object");
  }

  @Test
  void emptyBytesAreMalformed() {
    assertThatThrownBy(() -> Invalidation.CONTRACT.decode(new byte[0]))
        .isInstanceOf(MalformedMessageException.class);
  }

  @Test
  void missingVersionIsMalformed() {
    String json =
        """
        {"tag":"user:42","table":"public.posts","op":"insert","lsn":1,"commit_ts_us":2,"tx_id":3}
        """;

    assertThatThrownBy(() -> Invalidation.CONTRACT.decode(utf8(json)))
        .isInstanceOf(MalformedMessageException.class)
        .hasMessageContaining("'v'");
  }

  /** The one-pass read would coerce "1" to 1; the careful read decides, and refuses it. */
  @Test
  void schemaVersionGivenAsTextIsMalformed() {
    String json =
        """
        {"v":"1","tag":"user:42","table":"public.posts","op":"insert","lsn":1,"commit_ts_us":2,"tx_id":3}
        """;

    assertThatThrownBy(() -> Invalidation.CONTRACT.decode(utf8(json)))
        .isInstanceOf(MalformedMessageException.class)
        .hasMessageContaining("'v'");
  }

  /** A message the one-pass read refuses is read carefully, which accepts what it always did. */
  @Test
  void aNumberGivenAsTextStillDecodesAsBefore() {
    String json =
        """
        {"v":1,"tag":"user:42","table":"public.posts","op":"insert","lsn":"5","commit_ts_us":2,"tx_id":3}
        """;

    assertThat(Invalidation.CONTRACT.decode(utf8(json)).lsn()).isEqualTo(5L);
  }

  @Test
  void otherSchemaVersionIsMalformedAndNamesBothVersions() {
    String json =
        """
        {"v":2,"tag":"user:42","table":"public.posts","op":"insert","lsn":1,"commit_ts_us":2,"tx_id":3}
        """;

    assertThatThrownBy(() -> Invalidation.CONTRACT.decode(utf8(json)))
        .isInstanceOf(MalformedMessageException.class)
        .hasMessageContaining("version 2")
        .hasMessageContaining("expected 1");
  }

  @Test
  void missingTagIsMalformedAndNamesTheField() {
    String json =
        """
        {"v":1,"table":"public.posts","op":"insert","lsn":1,"commit_ts_us":2,"tx_id":3}
        """;

    assertThatThrownBy(() -> Invalidation.CONTRACT.decode(utf8(json)))
        .isInstanceOf(MalformedMessageException.class)
        .hasMessageContaining("'tag'");
  }

  @Test
  void missingTableIsMalformedAndNamesTheField() {
    String json =
        """
        {"v":1,"tag":"user:42","op":"insert","lsn":1,"commit_ts_us":2,"tx_id":3}
        """;

    assertThatThrownBy(() -> Invalidation.CONTRACT.decode(utf8(json)))
        .isInstanceOf(MalformedMessageException.class)
        .hasMessageContaining("'table'");
  }

  @Test
  void missingOpIsMalformedAndNamesTheField() {
    String json =
        """
        {"v":1,"tag":"user:42","table":"public.posts","lsn":1,"commit_ts_us":2,"tx_id":3}
        """;

    assertThatThrownBy(() -> Invalidation.CONTRACT.decode(utf8(json)))
        .isInstanceOf(MalformedMessageException.class)
        .hasMessageContaining("'op'");
  }

  /**
   * A dead-letter reason must say which field is wrong; the primitive fields (lsn, commit_ts_us,
   * tx_id) are required too.
   */
  @Test
  void missingLsnIsMalformedAndNamesTheField() {
    String json =
        """
        {"v":1,"tag":"user:42","table":"public.posts","op":"insert","commit_ts_us":2,"tx_id":3}
        """;

    assertThatThrownBy(() -> Invalidation.CONTRACT.decode(utf8(json)))
        .isInstanceOf(MalformedMessageException.class)
        .hasMessageStartingWith("invalidation:")
        .hasMessageContaining("lsn");
  }

  @Test
  void nullOpIsMalformedAndNamesTheField() {
    String json =
        """
        {"v":1,"tag":"user:42","table":"public.posts","op":null,"lsn":1,"commit_ts_us":2,"tx_id":3}
        """;

    assertThatThrownBy(() -> Invalidation.CONTRACT.decode(utf8(json)))
        .isInstanceOf(MalformedMessageException.class)
        .hasMessageContaining("op");
  }

  @Test
  void unknownOpIsMalformedAndNamesTheValue() {
    String json =
        """
        {"v":1,"tag":"user:42","table":"public.posts","op":"upsert","lsn":1,"commit_ts_us":2,"tx_id":3}
        """;

    assertThatThrownBy(() -> Invalidation.CONTRACT.decode(utf8(json)))
        .isInstanceOf(MalformedMessageException.class)
        .hasMessageContaining("upsert");
  }

  @Test
  void changeWithoutAnyImageIsMalformed() {
    String json =
        """
        {"v":1,"op":"delete","table":"public.posts","key":{"id":7},"lsn":1,"commit_ts_us":2,"tx_id":3}
        """;

    assertThatThrownBy(() -> ChangeEvent.CONTRACT.decode(utf8(json)))
        .isInstanceOf(MalformedMessageException.class)
        .hasMessageStartingWith("change event:")
        .hasMessageContaining("'before' or an 'after'");
  }

  @Test
  void evictionReportWithoutTagIsMalformed() {
    assertThatThrownBy(
            () ->
                EvictionReport.CONTRACT.decode(
                    utf8("{\"v\":1,\"lsn\":1,\"commit_ts_us\":2,\"live_keys\":[]}")))
        .isInstanceOf(MalformedMessageException.class)
        .hasMessageStartingWith("eviction report:")
        .hasMessageContaining("'tag'");
  }

  @Test
  void contractReportsItsVersion() {
    assertThat(Invalidation.CONTRACT.version()).isEqualTo(Invalidation.SCHEMA_VERSION);
  }
}
