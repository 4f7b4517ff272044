package io.cachepipe.core.warm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.cachepipe.core.sql.JsonColumns;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a warm kind's value is made of ({@code cachepipe.warm.<name>.shape}). Columns are mapped to
 * JSON by {@link JsonColumns}, the same for the warmer and the auditor.
 */
public enum Shape {

  /**
   * The first row, as an object of its columns ({@code {"post_count":3,"total_views":40}}). With no
   * row the entry has no value: the warmer does not fill it (as a loader that returns null is not
   * cached), and a cached one is stale.
   */
  ROW,

  /**
   * Every row, in the query's order, as a JSON array: of the values themselves when the query
   * returns one column ({@code [107,104,101]}, read as {@code Long[]} or {@code List<Long>}), of
   * objects otherwise. With no row the value is the empty array.
   */
  LIST;

  /** The configuration's name of the shape: {@code row} or {@code list}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The shape named {@code label} ({@link #label}). */
  public static Shape of(String label) {
    return valueOf(label.trim().toUpperCase(Locale.ROOT));
  }

  /** The value of an entry whose query returned no row: none (null) for a row, [] for a list. */
  public JsonNode empty() {
    return valueOf(List.of());
  }

  /** The value of a whole result, positioned before its first row. */
  JsonNode read(ResultSet rs) throws SQLException {
    List<Integer> columns = new ArrayList<>();
    for (int c = 1; c <= rs.getMetaData().getColumnCount(); c++) {
      columns.add(c);
    }
    List<JsonNode> rows = new ArrayList<>();
    while ((this == LIST || rows.isEmpty()) && rs.next()) {
      rows.add(rowOf(rs, columns));
    }
    return valueOf(rows);
  }

  /**
   * The values of many entries in one result: each row belongs to the entry whose key value is in
   * its {@code keyColumn} (compared as text), which is not part of the value. Every key of {@code
   * keys} has a value, {@link #empty} when no row is its.
   *
   * @throws SQLException also if the result has no column {@code keyColumn}
   */
  Map<String, JsonNode> readByKey(ResultSet rs, String keyColumn, Collection<String> keys)
      throws SQLException {
    ResultSetMetaData meta = rs.getMetaData();
    int keyAt = -1;
    List<Integer> columns = new ArrayList<>();
    for (int c = 1; c <= meta.getColumnCount(); c++) {
      if (keyAt < 0 && meta.getColumnLabel(c).equals(keyColumn)) {
        keyAt = c;
      } else {
        columns.add(c);
      }
    }
    if (keyAt < 0) {
      throw new SQLException("the batch query returns no column " + keyColumn);
    }
    Map<String, List<JsonNode>> rows = new LinkedHashMap<>();
    keys.forEach(key -> rows.put(key, new ArrayList<>()));
    while (rs.next()) {
      List<JsonNode> ofKey = rows.get(rs.getString(keyAt));
      if (ofKey != null && (this == LIST || ofKey.isEmpty())) {
        ofKey.add(rowOf(rs, columns));
      }
    }
    Map<String, JsonNode> values = new LinkedHashMap<>();
    rows.forEach((key, ofKey) -> values.put(key, valueOf(ofKey)));
    return values;
  }

  private JsonNode rowOf(ResultSet rs, List<Integer> columns) throws SQLException {
    return this == LIST && columns.size() == 1
        ? JsonColumns.value(rs, columns.get(0))
        : JsonColumns.row(rs, columns);
  }

  private JsonNode valueOf(List<JsonNode> rows) {
    if (this == ROW) {
      return rows.isEmpty() ? null : rows.get(0);
    }
    return JsonNodeFactory.instance.arrayNode(rows.size()).addAll(rows);
  }
}
