package io.cachepipe.core.tag;

import io.cachepipe.core.change.ChangeEvent;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A text with column placeholders, such as {@code user:{author_id}} or {@code cp:user_stats:{id}},
 * rendered against a row image. Used for tags and for entry keys.
 */
public final class TagTemplate {

  private final String source;
  private final List<String> literals; // literals.size() == columns.size() + 1
  private final List<String> columns;

  private TagTemplate(String source, List<String> literals, List<String> columns) {
    this.source = source;
    this.literals = literals;
    this.columns = columns;
  }

  /**
   * Parses a template.
   *
   * @throws IllegalArgumentException if a brace is unbalanced or a placeholder is empty
   */
  public static TagTemplate parse(String source) {
    if (source == null || source.isBlank()) {
      throw new IllegalArgumentException("a template must not be empty");
    }
    List<String> literals = new ArrayList<>();
    List<String> columns = new ArrayList<>();
    StringBuilder literal = new StringBuilder();
    int i = 0;
    while (i < source.length()) {
      char c = source.charAt(i);
      if (c == '{') {
        int close = source.indexOf('}', i + 1);
        if (close < 0) {
          throw new IllegalArgumentException("unclosed '{' in template '" + source + "'");
        }
        String column = source.substring(i + 1, close).trim();
        if (column.isEmpty() || column.indexOf('{') >= 0) {
          throw new IllegalArgumentException("bad placeholder in template '" + source + "'");
        }
        literals.add(literal.toString());
        literal.setLength(0);
        columns.add(column);
        i = close + 1;
      } else if (c == '}') {
        throw new IllegalArgumentException("unopened '}' in template '" + source + "'");
      } else {
        literal.append(c);
        i++;
      }
    }
    literals.add(literal.toString());
    return new TagTemplate(source, List.copyOf(literals), List.copyOf(columns));
  }

  /** The columns this template reads, in order of appearance, without duplicates. */
  public Set<String> columns() {
    return Collections.unmodifiableSet(new LinkedHashSet<>(columns));
  }

  /**
   * Renders against {@code row}; empty when a column it needs is absent, null, or Debezium's
   * unavailable-value placeholder.
   */
  public Optional<String> render(Map<String, Object> row) {
    if (row == null) {
      return Optional.empty();
    }
    StringBuilder out = new StringBuilder(source.length() + 16);
    for (int i = 0; i < columns.size(); i++) {
      Object value = row.get(columns.get(i));
      if (value == null || ChangeEvent.UNAVAILABLE_VALUE.equals(value)) {
        return Optional.empty();
      }
      out.append(literals.get(i)).append(value);
    }
    out.append(literals.get(columns.size()));
    return Optional.of(out.toString());
  }

  /**
   * Matches a rendered text against this template and returns the placeholder values, all as
   * strings; empty if it does not match. Placeholders must be separated by literal text.
   */
  public Optional<Map<String, String>> match(String text) {
    Map<String, String> values = new java.util.LinkedHashMap<>();
    int pos = 0;
    if (!text.startsWith(literals.get(0))) {
      return Optional.empty();
    }
    pos = literals.get(0).length();
    for (int i = 0; i < columns.size(); i++) {
      String next = literals.get(i + 1);
      int end = next.isEmpty() ? text.length() : text.indexOf(next, pos);
      if (end < 0 || end == pos) {
        return Optional.empty();
      }
      values.put(columns.get(i), text.substring(pos, end));
      pos = end + next.length();
    }
    return pos == text.length() ? Optional.of(values) : Optional.empty();
  }

  @Override
  public String toString() {
    return source;
  }
}
