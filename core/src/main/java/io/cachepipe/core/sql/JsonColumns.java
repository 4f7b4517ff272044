package io.cachepipe.core.sql;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.cachepipe.core.json.Json;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;

/**
 * PostgreSQL values as natural JSON: what a warmed entry holds and what the auditor compares with,
 * so that both read a query's result the same way.
 *
 * <ul>
 *   <li>{@code smallint}, {@code integer}, {@code bigint}, {@code numeric}, {@code real}, {@code
 *       double precision}: JSON numbers with every digit ({@code numeric 12.50} is {@code 12.50});
 *       NaN and the infinities, which JSON numbers cannot hold, are the strings {@code "NaN"},
 *       {@code "Infinity"}, {@code "-Infinity"}, as PostgreSQL's {@code to_json} writes them;
 *   <li>{@code boolean}: true or false;
 *   <li>{@code json}, {@code jsonb}: the JSON value itself (not a string holding it);
 *   <li>arrays of any element type, of any dimension: JSON arrays of the elements mapped here;
 *   <li>{@code timestamptz}: an ISO-8601 instant in UTC, whatever the session's or the JVM's time
 *       zone (one instant, one text), as Java's {@code Instant.toString} and Jackson's {@code
 *       Instant} write it: {@code 2026-12-03T10:15:30Z}, {@code 2026-12-03T10:15:30.500Z} (the
 *       fraction in groups of three digits);
 *   <li>{@code timestamp} (without time zone): ISO-8601 local date-time, no offset, as stored (no
 *       zone is applied, none is invented), as Jackson writes a {@code LocalDateTime}: {@code
 *       2026-12-03T10:15:30.5};
 *   <li>{@code date}: {@code 2026-12-03}; {@code time}: {@code 10:15:30}; {@code timetz}: {@code
 *       10:15:30+02:00}; the infinite timestamps and dates: {@code "infinity"}, {@code
 *       "-infinity"};
 *   <li>{@code uuid}: its canonical text; {@code bytea}: base64 (RFC 4648, padded);
 *   <li>NULL: null; any other type ({@code text}, {@code varchar}, enums, {@code interval}, {@code
 *       inet}, ...): its PostgreSQL text.
 * </ul>
 *
 * Seconds are always written, fractions only when not zero. Tested against a real PostgreSQL in the
 * auditor module ({@code JsonColumnsIT}): core's own tests cannot start one.
 */
public final class JsonColumns {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** json and jsonb text, with decimals exact, digit for digit ({@code 2.50} stays so). */
  private static final ObjectReader JSON =
      Json.mapper()
          .reader()
          .with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .with(JsonNodeFactory.withExactBigDecimals(true));

  private static final DateTimeFormatter LOCAL_DATE_TIME = DateTimeFormatter.ISO_LOCAL_DATE_TIME;

  private JsonColumns() {}

  /** The current row of {@code rs} as an object of its columns, by label, in column order. */
  public static ObjectNode row(ResultSet rs) throws SQLException {
    ObjectNode row = NODES.objectNode();
    ResultSetMetaData meta = rs.getMetaData();
    for (int c = 1; c <= meta.getColumnCount(); c++) {
      row.set(meta.getColumnLabel(c), value(rs, c));
    }
    return row;
  }

  /** The current row's {@code columns} (1-based), by label, in the order given. */
  public static ObjectNode row(ResultSet rs, List<Integer> columns) throws SQLException {
    ObjectNode row = NODES.objectNode();
    ResultSetMetaData meta = rs.getMetaData();
    for (int c : columns) {
      row.set(meta.getColumnLabel(c), value(rs, c));
    }
    return row;
  }

  /** The value of {@code column} (1-based) in the current row of {@code rs}. */
  public static JsonNode value(ResultSet rs, int column) throws SQLException {
    Object raw = rs.getObject(column);
    if (raw == null) {
      return NullNode.getInstance();
    }
    String type = rs.getMetaData().getColumnTypeName(column);
    switch (type) {
      case "json", "jsonb":
        return json(rs.getString(column));
      case "timestamptz":
        return timestampTz(rs.getObject(column, OffsetDateTime.class));
      case "timestamp":
        return timestamp(rs.getObject(column, LocalDateTime.class));
      case "date":
        return date(rs.getObject(column, LocalDate.class));
      case "time":
        return TextNode.valueOf(
            rs.getObject(column, LocalTime.class).format(DateTimeFormatter.ISO_LOCAL_TIME));
      case "timetz":
        return TextNode.valueOf(
            rs.getObject(column, OffsetTime.class).format(DateTimeFormatter.ISO_OFFSET_TIME));
      default:
        return scalar(rs, column, raw);
    }
  }

  private static JsonNode scalar(ResultSet rs, int column, Object raw) throws SQLException {
    if (raw instanceof Integer || raw instanceof Short) {
      return NODES.numberNode(((Number) raw).intValue());
    }
    if (raw instanceof Long l) {
      return NODES.numberNode(l);
    }
    if (raw instanceof BigDecimal d) {
      // Not the factory's numberNode(BigDecimal): it strips trailing zeros (100 becomes 1E+2).
      return DecimalNode.valueOf(d);
    }
    if (raw instanceof BigInteger i) {
      return NODES.numberNode(i);
    }
    if (raw instanceof Double d) {
      return Double.isFinite(d) ? NODES.numberNode(d) : TextNode.valueOf(nonFinite(d));
    }
    if (raw instanceof Float f) {
      return Float.isFinite(f) ? NODES.numberNode(f) : TextNode.valueOf(nonFinite(f));
    }
    if (raw instanceof Boolean b) {
      return NODES.booleanNode(b);
    }
    if (raw instanceof byte[] bytes) {
      return TextNode.valueOf(Base64.getEncoder().encodeToString(bytes));
    }
    if (raw instanceof Array array) {
      return array(array);
    }
    return TextNode.valueOf(rs.getString(column));
  }

  private static ArrayNode array(Array array) throws SQLException {
    ArrayNode out = NODES.arrayNode();
    // Column 1 is the index, column 2 the element (a sub-array for a multi-dimensional one).
    try (ResultSet elements = array.getResultSet()) {
      while (elements.next()) {
        out.add(value(elements, 2));
      }
    } finally {
      array.free();
    }
    return out;
  }

  private static JsonNode json(String text) throws SQLException {
    try {
      return JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new SQLException("PostgreSQL returned json that does not parse: " + e.getMessage(), e);
    }
  }

  private static JsonNode timestampTz(OffsetDateTime t) {
    if (t.equals(OffsetDateTime.MAX) || t.equals(OffsetDateTime.MIN)) {
      return TextNode.valueOf(t.equals(OffsetDateTime.MAX) ? "infinity" : "-infinity");
    }
    return TextNode.valueOf(t.toInstant().toString());
  }

  private static JsonNode timestamp(LocalDateTime t) {
    if (t.equals(LocalDateTime.MAX) || t.equals(LocalDateTime.MIN)) {
      return TextNode.valueOf(t.equals(LocalDateTime.MAX) ? "infinity" : "-infinity");
    }
    return TextNode.valueOf(t.format(LOCAL_DATE_TIME));
  }

  private static JsonNode date(LocalDate d) {
    if (d.equals(LocalDate.MAX) || d.equals(LocalDate.MIN)) {
      return TextNode.valueOf(d.equals(LocalDate.MAX) ? "infinity" : "-infinity");
    }
    return TextNode.valueOf(d.toString());
  }

  private static String nonFinite(double d) {
    return Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
  }
}
