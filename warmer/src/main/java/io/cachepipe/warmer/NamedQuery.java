package io.cachepipe.warmer;

import io.cachepipe.core.config.ConfigException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * SQL with {@code :name} parameters, turned into a JDBC statement with {@code ?} placeholders. A
 * {@code ::type} cast is left alone.
 *
 * @param sql the JDBC SQL
 * @param order the parameter of each {@code ?}, in order
 */
public record NamedQuery(String sql, List<String> order) {

  private static final Pattern PARAMETER = Pattern.compile("(?<!:):([a-zA-Z_][a-zA-Z0-9_]*)");

  static NamedQuery parse(String key, String text) {
    Matcher m = PARAMETER.matcher(text);
    StringBuilder sql = new StringBuilder();
    List<String> order = new ArrayList<>();
    while (m.find()) {
      order.add(m.group(1));
      m.appendReplacement(sql, "?");
    }
    m.appendTail(sql);
    if (order.isEmpty()) {
      throw new ConfigException(
          key + ": expected a query with :named parameters taken from the key");
    }
    return new NamedQuery(sql.toString(), List.copyOf(order));
  }

  /** The distinct parameter names. */
  public java.util.Set<String> parameters() {
    return new java.util.LinkedHashSet<>(order);
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
