package io.cachepipe.core.sql;

import io.cachepipe.core.config.ConfigException;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * SQL with {@code :name} parameters, turned into a JDBC statement with {@code ?} placeholders. A
 * {@code ::type} cast is left alone.
 *
 * @param sql the JDBC SQL
 * @param order the parameter of each {@code ?}, in order
 * @param starts where each parameter's {@code :} stands in the original text (0-based), in order
 */
public record NamedQuery(String sql, List<String> order, List<Integer> starts) {

  private static final Pattern PARAMETER = Pattern.compile("(?<!:):([a-zA-Z_][a-zA-Z0-9_]*)");

  /** The query of configuration key {@code key}, which must have at least one parameter. */
  public static NamedQuery parse(String key, String text) {
    NamedQuery query = of(text);
    if (query.order().isEmpty()) {
      throw new ConfigException(
          key + ": expected a query with :named parameters taken from the key");
    }
    return query;
  }

  /** {@code text} with its {@code :name} parameters, if any. */
  public static NamedQuery of(String text) {
    Matcher m = PARAMETER.matcher(text);
    StringBuilder sql = new StringBuilder();
    List<String> order = new ArrayList<>();
    List<Integer> starts = new ArrayList<>();
    while (m.find()) {
      order.add(m.group(1));
      starts.add(m.start());
      m.appendReplacement(sql, "?");
    }
    m.appendTail(sql);
    return new NamedQuery(sql.toString(), List.copyOf(order), List.copyOf(starts));
  }

  /**
   * Maps a 1-based character position in the statement as the server saw it (the PostgreSQL driver
   * sends the n-th {@code ?} as {@code $n}) back to the original text with its {@code :name}s, for
   * error messages.
   */
  public int originalPosition(int serverPosition) {
    int shift = 0; // original minus server offset, up to the current parameter
    for (int i = 0; i < starts.size(); i++) {
      int serverStart = starts.get(i) - shift + 1; // 1-based
      if (serverStart >= serverPosition) {
        break;
      }
      shift += (1 + order.get(i).length()) - ("$" + (i + 1)).length();
    }
    return serverPosition + shift;
  }

  /** The distinct parameter names. */
  public Set<String> parameters() {
    return new LinkedHashSet<>(order);
  }

  /**
   * Binds {@code params} to {@code statement} (prepared from {@link #sql()}) as untyped values,
   * which PostgreSQL types from the query: {@code author_id = :id} with "42" compares a bigint.
   *
   * @throws IllegalArgumentException if a parameter has no value
   */
  public void bind(PreparedStatement statement, Map<String, String> params) throws SQLException {
    for (int i = 0; i < order.size(); i++) {
      String name = order.get(i);
      if (!params.containsKey(name)) {
        throw new IllegalArgumentException("no value for parameter :" + name);
      }
      statement.setObject(i + 1, params.get(name), Types.OTHER);
    }
  }

  /** The values of the {@code ?}s, in order, from {@code params}. */
  public List<String> bind(Map<String, String> params) {
    List<String> values = new ArrayList<>(order.size());
    for (String name : order) {
      values.add(params.get(name));
    }
    return values;
  }
}
