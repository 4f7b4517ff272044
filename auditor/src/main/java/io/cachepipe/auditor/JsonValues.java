package io.cachepipe.auditor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import io.cachepipe.core.json.Json;
import java.util.Comparator;

/**
 * Semantic equality of JSON values: objects regardless of field order, arrays element by element,
 * and numbers by value, so that {@code 111}, {@code 111.0} and {@code 1.11E2} are one value. A
 * cached entry written by an application (a {@code long}) and the same entry written by the warmer
 * (a PostgreSQL {@code numeric}, a decimal) then compare equal, as they should. Read values with
 * {@link #read}, which keeps decimals exact: read as doubles, 12345678901234567890.5 and
 * 12345678901234567891 would be one value.
 */
public final class JsonValues {

  /** The shared mapper's settings, with decimals read as {@code BigDecimal}, not doubles. */
  private static final ObjectReader READER =
      Json.mapper().reader().with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  /** 0 when two scalar nodes are the same value, else 1 (only equality is asked of it). */
  private static final Comparator<JsonNode> SCALARS =
      (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
          return sameNumber(a, b) ? 0 : 1;
        }
        return a.equals(b) ? 0 : 1;
      };

  private JsonValues() {}

  /**
   * {@code text} as a JSON tree, decimals exact.
   *
   * @throws JsonProcessingException if it is not JSON
   */
  public static JsonNode read(String text) throws JsonProcessingException {
    return READER.readTree(text);
  }

  /** Whether {@code a} and {@code b} are the same JSON value (see the class comment). */
  public static boolean same(JsonNode a, JsonNode b) {
    if (a == null || b == null) {
      return a == b;
    }
    // Jackson applies the comparator to scalars, and recurses through objects and arrays itself.
    return a.equals(SCALARS, b);
  }

  private static boolean sameNumber(JsonNode a, JsonNode b) {
    if (!isFinite(a) || !isFinite(b)) {
      return Double.compare(a.doubleValue(), b.doubleValue()) == 0;
    }
    return a.decimalValue().compareTo(b.decimalValue()) == 0;
  }

  private static boolean isFinite(JsonNode n) {
    return !n.isFloatingPointNumber() || n.isBigDecimal() || Double.isFinite(n.doubleValue());
  }
}
