package io.cachepipe.core.tag;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.Op;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Maps changes of one table to one tag, from the row's before AND after images: a post moved from
 * author 1 to author 2 yields {@code user:1} and {@code user:2}.
 *
 * @param name the rule's name in configuration, for messages
 * @param table the schema-qualified table it applies to
 * @param template the tag, with column placeholders
 * @param columns the columns that matter: an update that changes none of them yields no tag. Empty
 *     means every update matters.
 */
public record TagRule(String name, String table, TagTemplate template, Set<String> columns) {

  public TagRule {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(table, "table");
    Objects.requireNonNull(template, "template");
    columns = columns == null ? Set.of() : Set.copyOf(columns);
  }

  /** Adds the tags of {@code change} to {@code out}; returns false if an image could not render. */
  public boolean collect(ChangeEvent change, Set<String> out) {
    return collect(change, out, false);
  }

  /**
   * Adds the tags of {@code change} to {@code out}; returns false if an image could not render.
   *
   * @param columnsUnknown whether the images lack the columns that matter (a {@link
   *     io.cachepipe.core.change.Reduced#KEY_ONLY key-only} change): an update then counts as
   *     changing them
   */
  public boolean collect(ChangeEvent change, Set<String> out, boolean columnsUnknown) {
    if (change.op() == Op.UPDATE
        && !columnsUnknown
        && !columns.isEmpty()
        && !anyColumnChanged(change)) {
      return true;
    }
    boolean rendered = true;
    if (change.before() != null) {
      rendered &= addRendered(change.before(), out);
    }
    if (change.after() != null) {
      rendered &= addRendered(withUnavailableFromBefore(change), out);
    }
    return rendered;
  }

  /** The columns this rule reads: its template's and the ones that matter. */
  public Set<String> columnsRead() {
    Set<String> read = new java.util.LinkedHashSet<>(template.columns());
    read.addAll(columns);
    return read;
  }

  private boolean addRendered(Map<String, Object> image, Set<String> out) {
    var tag = template.render(image);
    tag.ifPresent(out::add);
    return tag.isPresent();
  }

  private boolean anyColumnChanged(ChangeEvent change) {
    if (change.before() == null || change.after() == null) {
      return true;
    }
    for (String column : columns) {
      Object after = change.after().get(column);
      if (ChangeEvent.UNAVAILABLE_VALUE.equals(after)) {
        continue; // an unchanged TOASTed value: by definition not changed
      }
      if (!Objects.equals(change.before().get(column), after)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The after-image with each unavailable (unchanged TOASTed) column taken from the before-image,
   * which holds the same value because the column did not change.
   */
  private static Map<String, Object> withUnavailableFromBefore(ChangeEvent change) {
    Map<String, Object> after = change.after();
    if (change.before() == null || !after.containsValue(ChangeEvent.UNAVAILABLE_VALUE)) {
      return after;
    }
    Map<String, Object> merged = new HashMap<>(after);
    merged.replaceAll(
        (column, value) ->
            ChangeEvent.UNAVAILABLE_VALUE.equals(value) ? change.before().get(column) : value);
    return merged;
  }
}
