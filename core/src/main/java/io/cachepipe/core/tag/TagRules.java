package io.cachepipe.core.tag;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.Reduced;
import io.cachepipe.core.config.ConfigException;
import io.cachepipe.core.config.Settings;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The tag rules of every watched table. Configured as named rules:
 *
 * <pre>
 * cachepipe.rule.&lt;name&gt;.table   = public.posts        (schema optional, default public)
 * cachepipe.rule.&lt;name&gt;.tag     = user:{author_id}
 * cachepipe.rule.&lt;name&gt;.columns = author_id,view_count (optional: the columns that matter)
 * </pre>
 *
 * Without any {@code cachepipe.rule.} key the example domain's rules apply: {@code users} to {@code
 * user:{id}}; {@code posts} to {@code post:{id}} and {@code user:{author_id}}.
 */
public final class TagRules {

  /** Prefix of the rule keys. */
  public static final String PREFIX = "cachepipe.rule.";

  /** The example domain's rules, in configuration form. */
  public static final Map<String, String> EXAMPLE_RULES =
      Map.of(
          PREFIX + "user.table", "public.users",
          PREFIX + "user.tag", "user:{id}",
          PREFIX + "post.table", "public.posts",
          PREFIX + "post.tag", "post:{id}",
          PREFIX + "postauthor.table", "public.posts",
          PREFIX + "postauthor.tag", "user:{author_id}");

  private static final Set<String> RULE_FIELDS = Set.of("table", "tag", "columns");

  private final Map<String, List<TagRule>> byTable;

  public TagRules(List<TagRule> rules) {
    Map<String, List<TagRule>> map = new LinkedHashMap<>();
    for (TagRule rule : rules) {
      map.computeIfAbsent(rule.table(), t -> new ArrayList<>()).add(rule);
    }
    map.replaceAll((table, list) -> List.copyOf(list));
    this.byTable = Collections.unmodifiableMap(map);
  }

  /** The rules configured in {@code settings}, or the example domain's when none are. */
  public static TagRules from(Settings settings) {
    Map<String, String> tree = settings.subtree(PREFIX);
    if (tree.isEmpty()) {
      tree = Settings.of(EXAMPLE_RULES).subtree(PREFIX);
    }
    Map<String, Map<String, String>> byName = new LinkedHashMap<>();
    tree.forEach(
        (key, value) -> {
          int dot = key.lastIndexOf('.');
          String name = dot < 0 ? key : key.substring(0, dot);
          String field = dot < 0 ? "" : key.substring(dot + 1);
          if (!RULE_FIELDS.contains(field)) {
            throw new ConfigException(
                PREFIX
                    + key
                    + ": unknown rule field '"
                    + field
                    + "'; expected one of "
                    + RULE_FIELDS);
          }
          byName.computeIfAbsent(name, n -> new LinkedHashMap<>()).put(field, value);
        });
    List<TagRule> rules = new ArrayList<>();
    byName.forEach((name, fields) -> rules.add(parseRule(name, fields)));
    return new TagRules(rules);
  }

  private static TagRule parseRule(String name, Map<String, String> fields) {
    String table = fields.get("table");
    String tag = fields.get("tag");
    if (table == null || table.isBlank()) {
      throw new ConfigException(PREFIX + name + ".table: required, expected a table name");
    }
    if (tag == null || tag.isBlank()) {
      throw new ConfigException(PREFIX + name + ".tag: required, expected a tag template");
    }
    TagTemplate template;
    try {
      template = TagTemplate.parse(tag);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(PREFIX + name + ".tag: " + e.getMessage());
    }
    Set<String> columns =
        fields.get("columns") == null
            ? Set.of()
            : Arrays.stream(fields.get("columns").split(","))
                .map(String::trim)
                .filter(c -> !c.isEmpty())
                .collect(Collectors.toCollection(LinkedHashSet::new));
    return new TagRule(name, qualify(table.trim()), template, columns);
  }

  /** {@code posts} becomes {@code public.posts}; a qualified name stays. */
  public static String qualify(String table) {
    return table.contains(".") ? table : "public." + table;
  }

  /** Whether any rule applies to {@code table}. */
  public boolean watches(String table) {
    return byTable.containsKey(table);
  }

  /** The tables that rules apply to, sorted. */
  public Set<String> tables() {
    return Collections.unmodifiableSet(new TreeSet<>(byTable.keySet()));
  }

  /** The rules of {@code table}; empty if none. */
  public List<TagRule> rulesOf(String table) {
    return byTable.getOrDefault(table, List.of());
  }

  /** The columns the rules of {@code table} read (templates and columns that matter). */
  public Set<String> columnsRead(String table) {
    Set<String> read = new LinkedHashSet<>();
    rulesOf(table).forEach(rule -> read.addAll(rule.columnsRead()));
    return read;
  }

  /** The distinct tags of {@code change}, in rule order. */
  public TagResult tagsFor(ChangeEvent change) {
    return tagsFor(change, null);
  }

  /**
   * The distinct tags of {@code change}, in rule order.
   *
   * @param reduced how the change was cut down for Kafka; null for a complete change
   */
  public TagResult tagsFor(ChangeEvent change, Reduced reduced) {
    List<TagRule> rules = byTable.get(change.table());
    if (rules == null) {
      return TagResult.UNWATCHED;
    }
    Set<String> tags = new LinkedHashSet<>();
    List<String> unrendered = new ArrayList<>(0);
    List<String> blank = new ArrayList<>(0);
    Set<String> own = new LinkedHashSet<>(4);
    for (TagRule rule : rules) {
      own.clear();
      if (!rule.collect(change, own, reduced == Reduced.KEY_ONLY)) {
        unrendered.add(rule.name());
      }
      for (String tag : own) {
        if (tag.isBlank()) {
          blank.add(rule.name());
        } else {
          tags.add(tag);
        }
      }
    }
    return new TagResult(true, tags, unrendered, blank);
  }

  /**
   * The tags of one change.
   *
   * @param watched whether any rule applies to its table
   * @param tags the distinct tags
   * @param unrenderedRules rules that could not render from one of its images (a column missing or
   *     null there); expected for a nullable column, worth a look otherwise
   * @param blankRules rules that rendered a blank tag (a template of placeholders only, over empty
   *     or space-only values): no entry can carry such a tag, and it is left out of {@code tags}
   */
  public record TagResult(
      boolean watched, Set<String> tags, List<String> unrenderedRules, List<String> blankRules) {
    static final TagResult UNWATCHED = new TagResult(false, Set.of(), List.of(), List.of());
  }
}
