package io.cachepipe.auditor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.cachepipe.core.json.Json;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonValuesTest {

  private static JsonNode json(String text) throws Exception {
    return JsonValues.read(text);
  }

  @Test
  void fieldOrderDoesNotMatter() throws Exception {
    assertThat(
            JsonValues.same(
                json("{\"post_count\":3,\"total_views\":40}"),
                json("{\"total_views\":40,\"post_count\":3}")))
        .isTrue();
  }

  @Test
  void numbersCompareByValueWhateverTheirForm() throws Exception {
    assertThat(JsonValues.same(json("{\"v\":111}"), json("{\"v\":111.0}"))).isTrue();
    assertThat(JsonValues.same(json("{\"v\":111}"), json("{\"v\":1.11E2}"))).isTrue();
    assertThat(JsonValues.same(json("12345678901234567890"), json("12345678901234567890.000")))
        .isTrue();
    assertThat(JsonValues.same(json("0.1"), json("0.10"))).isTrue();
    assertThat(JsonValues.same(json("{\"v\":111}"), json("{\"v\":112}"))).isFalse();
    assertThat(JsonValues.same(json("0.1"), json("0.1000001"))).isFalse();
    assertThat(JsonValues.same(json("12345678901234567890.5"), json("12345678901234567891")))
        .as("decimals are read exactly, not as doubles")
        .isFalse();
  }

  @Test
  void aLongAndAPostgresNumericOfTheSameValueAreTheSame() {
    // What an application caches (longs) and what the warmer writes (sum() of bigint: numeric).
    Map<String, Object> app = new LinkedHashMap<>();
    app.put("post_count", 3L);
    app.put("total_views", 40L);
    Map<String, Object> warmer = new LinkedHashMap<>();
    warmer.put("post_count", 3L);
    warmer.put("total_views", new BigDecimal("40"));

    assertThat(JsonValues.same(Json.mapper().valueToTree(app), Json.mapper().valueToTree(warmer)))
        .isTrue();
  }

  @Test
  void aNumberIsNotItsText() throws Exception {
    assertThat(JsonValues.same(json("{\"v\":1}"), json("{\"v\":\"1\"}"))).isFalse();
  }

  @Test
  void aMissingOrExtraFieldDiffers() throws Exception {
    assertThat(JsonValues.same(json("{\"a\":1}"), json("{\"a\":1,\"b\":2}"))).isFalse();
    assertThat(JsonValues.same(json("{\"a\":1,\"b\":2}"), json("{\"a\":1}"))).isFalse();
    assertThat(JsonValues.same(json("{\"a\":null}"), json("{}"))).isFalse();
  }

  @Test
  void nestedObjectsAndArraysAreComparedDeeply() throws Exception {
    assertThat(
            JsonValues.same(
                json("{\"ids\":[1,2,{\"x\":3.0}],\"n\":{\"m\":true}}"),
                json("{\"n\":{\"m\":true},\"ids\":[1,2.0,{\"x\":3}]}")))
        .isTrue();
    assertThat(JsonValues.same(json("[1,2]"), json("[2,1]"))).as("order of arrays").isFalse();
    assertThat(JsonValues.same(json("[1,2]"), json("[1,2,3]"))).isFalse();
    assertThat(JsonValues.same(json("{\"n\":{\"m\":true}}"), json("{\"n\":{\"m\":false}}")))
        .isFalse();
  }

  @Test
  void nullIsOnlyItself() throws Exception {
    assertThat(JsonValues.same(NullNode.getInstance(), json("null"))).isTrue();
    assertThat(JsonValues.same(NullNode.getInstance(), json("0"))).isFalse();
    assertThat(JsonValues.same(NullNode.getInstance(), json("{}"))).isFalse();
    assertThat(JsonValues.same(null, null)).isTrue();
    assertThat(JsonValues.same(null, json("1"))).isFalse();
  }

  @Test
  void textIsComparedExactly() throws Exception {
    assertThat(JsonValues.same(json("\"abc\""), json("\"abc\""))).isTrue();
    assertThat(JsonValues.same(json("\"abc\""), json("\"ABC\""))).isFalse();
  }
}
