package io.cachepipe.core.warm;

import com.fasterxml.jackson.databind.JsonNode;
import io.cachepipe.core.sql.NamedQuery;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.Collection;
import java.util.Map;

/**
 * A warm kind's batch query: one query that recomputes many entries of the kind, so that a storm of
 * evictions costs a query per batch rather than one per entry. Configured as
 *
 * <pre>
 * cachepipe.warm.&lt;name&gt;.batch.query      = SELECT author_id, ... WHERE author_id = ANY(:author_ids) ...
 * cachepipe.warm.&lt;name&gt;.batch.key.column = author_id   (default: the key's placeholder)
 * cachepipe.warm.&lt;name&gt;.batch.size       = 100
 * </pre>
 *
 * Its one parameter is bound to a PostgreSQL array of the entries' key values (the one placeholder
 * of the kind's key), as an untyped literal that PostgreSQL types from the query, as single
 * parameters are: {@code = ANY(:ids)} compares with the column's type; a function such as {@code
 * unnest} needs a cast, {@code unnest(CAST(:ids AS bigint[]))}. Each row carries its entry's key
 * value in {@code keyColumn}; the other columns make the value, exactly as the kind's single query
 * would return them for that entry.
 *
 * @param query the SQL; its one distinct parameter may appear several times
 * @param placeholder the key placeholder whose values the query is given ({@code author_id})
 * @param keyColumn the result column holding each row's key value, compared as text
 * @param size entries one query recomputes, at most
 */
public record BatchQuery(NamedQuery query, String placeholder, String keyColumn, int size) {

  /**
   * The values of the entries whose key values are {@code keys}, each {@code shape}'s {@link
   * Shape#empty} when the query returns no row of its.
   */
  public Map<String, JsonNode> compute(Connection db, Collection<String> keys, Shape shape)
      throws SQLException {
    String array = arrayLiteral(keys);
    try (PreparedStatement st = db.prepareStatement(query.sql())) {
      for (int i = 1; i <= query.order().size(); i++) {
        st.setObject(i, array, Types.OTHER);
      }
      try (ResultSet rs = st.executeQuery()) {
        return shape.readByKey(rs, keyColumn, keys);
      }
    }
  }

  /** {@code values} as a PostgreSQL array literal of quoted elements: {@code {"1","2"}}. */
  static String arrayLiteral(Collection<String> values) {
    StringBuilder out = new StringBuilder("{");
    for (String value : values) {
      if (out.length() > 1) {
        out.append(',');
      }
      out.append('"').append(value.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
    }
    return out.append('}').toString();
  }
}
