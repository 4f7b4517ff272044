package io.cachepipe.auditor;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.core.json.Json;
import io.cachepipe.core.sql.JsonColumns;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each PostgreSQL type as {@link JsonColumns} writes it, the text the warmer caches and the auditor
 * compares with, checked on a real PostgreSQL (core's own tests cannot start one).
 */
class JsonColumnsIT {

  private static Connection db;

  @BeforeAll
  static void connect() throws SQLException {
    Database database = TestServers.postgres().createDatabase("json_columns_it");
    db = DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
  }

  @AfterAll
  static void close() throws SQLException {
    if (db != null) {
      db.close();
    }
  }

  @Test
  void integersAreJsonNumbers() throws Exception {
    assertJson("SELECT 32767::smallint", "32767");
    assertJson("SELECT (-2147483648)::integer", "-2147483648");
    assertJson("SELECT 9223372036854775807::bigint", "9223372036854775807");
  }

  @Test
  void numericsKeepEveryDigitAndTheirScale() throws Exception {
    assertJson(
        "SELECT 12345678901234567890.123456789012345::numeric",
        "12345678901234567890.123456789012345");
    assertJson("SELECT 12.50::numeric(10, 2)", "12.50");
    assertJson("SELECT 100::numeric", "100");
    assertJson(
        "SELECT sum(v) FROM (VALUES (9223372036854775807::bigint), (1)) t(v)",
        "9223372036854775808");
  }

  @Test
  void floatsAreShortestNumbersAndTheirNonFiniteValuesStrings() throws Exception {
    assertJson("SELECT 0.1::double precision", "0.1");
    assertJson("SELECT 0.1::real", "0.1");
    assertJson("SELECT 'NaN'::double precision", "\"NaN\"");
    assertJson("SELECT '-Infinity'::real", "\"-Infinity\"");
    assertJson("SELECT 'NaN'::numeric", "\"NaN\"");
  }

  @Test
  void booleansAndTextAreThemselves() throws Exception {
    assertJson("SELECT true", "true");
    assertJson("SELECT 'say \"hi\"\\ é'::text", "\"say \\\"hi\\\"\\\\ é\"");
    assertJson("SELECT 'ab'::char(4)", "\"ab  \"");
  }

  @Test
  void jsonAndJsonbAreTheJsonValueItselfNotAWrapper() throws Exception {
    assertJson(
        "SELECT '{\"a\": [1, 2.50, \"x\"], \"b\": null}'::json",
        "{\"a\":[1,2.50,\"x\"],\"b\":null}");
    assertJson("SELECT '{\"b\": {\"c\": true}, \"a\": 1}'::jsonb", "{\"a\":1,\"b\":{\"c\":true}}");
    assertJson("SELECT '\"text\"'::jsonb", "\"text\"");
    assertJson("SELECT 'null'::jsonb", "null");
  }

  @Test
  void arraysAreJsonArraysOfTheirMappedElements() throws Exception {
    assertJson("SELECT '{1,2,NULL}'::int[]", "[1,2,null]");
    assertJson("SELECT ARRAY['a', 'b c', NULL]::text[]", "[\"a\",\"b c\",null]");
    assertJson("SELECT '{}'::bigint[]", "[]");
    assertJson("SELECT '{{1,2},{3,4}}'::int[][]", "[[1,2],[3,4]]");
    assertJson("SELECT ARRAY['{\"a\": 1}'::jsonb]", "[{\"a\":1}]");
    assertJson("SELECT ARRAY[1.50::numeric]", "[1.50]");
    assertJson("SELECT ARRAY['2026-12-03 10:15:30+02'::timestamptz]", "[\"2026-12-03T08:15:30Z\"]");
  }

  @Test
  void timestampsWithZoneAreInstantsInUtcWhateverTheSessionZone() throws Exception {
    try (Statement st = db.createStatement()) {
      st.execute("SET TIME ZONE 'Asia/Tokyo'");
    }
    try {
      assertJson("SELECT '2026-12-03 10:15:30.5+02'::timestamptz", "\"2026-12-03T08:15:30.500Z\"");
      assertJson("SELECT '2026-12-03 10:15:00Z'::timestamptz", "\"2026-12-03T10:15:00Z\"");
      assertJson(
          "SELECT '2026-12-03 10:15:00.123456Z'::timestamptz", "\"2026-12-03T10:15:00.123456Z\"");
      assertJson("SELECT 'infinity'::timestamptz", "\"infinity\"");
      // Without a zone, the stored wall-clock time, no offset applied or invented.
      assertJson("SELECT '2026-12-03 10:15:30.25'::timestamp", "\"2026-12-03T10:15:30.25\"");
      assertJson("SELECT '-infinity'::timestamp", "\"-infinity\"");
    } finally {
      try (Statement st = db.createStatement()) {
        st.execute("RESET TIME ZONE");
      }
    }
  }

  @Test
  void datesAndTimesAreIso8601() throws Exception {
    assertJson("SELECT '2026-12-03'::date", "\"2026-12-03\"");
    assertJson("SELECT 'infinity'::date", "\"infinity\"");
    assertJson("SELECT '10:15'::time", "\"10:15:00\"");
    assertJson("SELECT '10:15:30.5+02'::timetz", "\"10:15:30.5+02:00\"");
  }

  @Test
  void uuidsAreTheirTextAndByteaIsBase64() throws Exception {
    assertJson(
        "SELECT 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid",
        "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
    assertJson("SELECT '\\xdeadbeef'::bytea", "\"3q2+7w==\"");
  }

  @Test
  void nullIsNullWhateverItsType() throws Exception {
    for (String type :
        new String[] {
          "bigint",
          "numeric",
          "jsonb",
          "int[]",
          "timestamptz",
          "date",
          "bytea",
          "uuid",
          "text",
          "boolean"
        }) {
      assertJson("SELECT NULL::" + type, "null");
    }
  }

  @Test
  void otherTypesAreTheirPostgresText() throws Exception {
    assertJson("SELECT '1 day 02:00'::interval", "\"1 day 02:00:00\"");
    assertJson("SELECT '10.0.0.1/32'::inet", "\"10.0.0.1\"");
  }

  @Test
  void aRowIsAnObjectOfItsColumnsByLabelInOrder() throws Exception {
    try (Statement st = db.createStatement();
        ResultSet rs = st.executeQuery("SELECT 2 AS b, 'x' AS a, NULL::int AS c")) {
      rs.next();
      assertThat(Json.mapper().writeValueAsString(JsonColumns.row(rs)))
          .isEqualTo("{\"b\":2,\"a\":\"x\",\"c\":null}");
    }
  }

  private static void assertJson(String query, String expected) throws Exception {
    try (Statement st = db.createStatement();
        ResultSet rs = st.executeQuery(query)) {
      assertThat(rs.next()).isTrue();
      assertThat(Json.mapper().writeValueAsString(JsonColumns.value(rs, 1)))
          .as(query)
          .isEqualTo(expected);
    }
  }
}
