package io.cachepipe.warmer;

import io.cachepipe.core.config.ConfigException;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.sql.NamedQuery;
import io.cachepipe.core.tag.TagTemplate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A kind of cache entry the warmer recomputes after its eviction. Configured as:
 *
 * <pre>
 * cachepipe.warm.&lt;name&gt;.key    = cp:user_stats:{author_id}
 * cachepipe.warm.&lt;name&gt;.tags   = user:{author_id}
 * cachepipe.warm.&lt;name&gt;.query  = SELECT ... WHERE author_id = :author_id
 * cachepipe.warm.&lt;name&gt;.ttl.ms = 300000
 * </pre>
 *
 * The key's placeholders bind the query's named parameters and the tags. The first row of the
 * query's result, as a JSON object of its columns, is the entry's value. Without any {@code
 * cachepipe.warm.} key the example's {@code user_stats} entry applies.
 *
 * @param name the entry kind's name
 * @param key template of its keys
 * @param tags templates of its tags
 * @param query SQL with {@code :name} parameters taken from the key
 * @param ttl how long a warmed entry lives without an eviction
 */
public record WarmableEntry(
    String name, TagTemplate key, List<TagTemplate> tags, NamedQuery query, Duration ttl) {

  /** Prefix of the entry keys. */
  public static final String PREFIX = "cachepipe.warm.";

  private static final Set<String> FIELDS = Set.of("key", "tags", "query", "ttl.ms");

  /**
   * The example's expensive aggregate: an author's live post count and total views, answered by an
   * index-only scan on {@code posts_author_stats_idx}.
   */
  public static final String USER_STATS_QUERY =
      "SELECT count(*) AS post_count, coalesce(sum(view_count), 0) AS total_views"
          + " FROM posts WHERE author_id = :author_id AND is_deleted = false";

  /** The example's user stats entry, in configuration form. */
  public static final Map<String, String> EXAMPLE_ENTRIES =
      Map.of(
          PREFIX + "user_stats.key", "cp:user_stats:{author_id}",
          PREFIX + "user_stats.tags", "user:{author_id}",
          PREFIX + "user_stats.query", USER_STATS_QUERY,
          PREFIX + "user_stats.ttl.ms", "300000");

  /** The placeholder values of {@code cacheKey} if it is one of this kind's keys. */
  public Optional<Map<String, String>> match(String cacheKey) {
    return key.match(cacheKey);
  }

  /** The tags of the entry whose key placeholders are {@code params}. */
  public List<String> tagsFor(Map<String, String> params) {
    List<String> out = new ArrayList<>(tags.size());
    for (TagTemplate tag : tags) {
      out.add(tag.render(new LinkedHashMap<>(params)).orElseThrow());
    }
    return out;
  }

  /**
   * The entry's value as PostgreSQL has it now: the first row of the query with {@code params}
   * bound, as column label to value (in column order), or null if the query has no row. The warmer
   * fills this; the consistency auditor compares cached values with it.
   *
   * @param params the placeholder values of the entry's key ({@link #match})
   */
  public Map<String, Object> compute(Connection db, Map<String, String> params)
      throws SQLException {
    try (PreparedStatement st = db.prepareStatement(query.sql())) {
      query.bind(st, params);
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        ResultSetMetaData meta = rs.getMetaData();
        Map<String, Object> row = new LinkedHashMap<>();
        for (int c = 1; c <= meta.getColumnCount(); c++) {
          row.put(meta.getColumnLabel(c), rs.getObject(c));
        }
        return row;
      }
    }
  }

  /** Every configured entry kind, or the example's when none is configured. */
  public static List<WarmableEntry> from(Settings settings) {
    Map<String, String> tree = settings.subtree(PREFIX);
    if (tree.isEmpty()) {
      tree = Settings.of(EXAMPLE_ENTRIES).subtree(PREFIX);
    }
    Map<String, Map<String, String>> byName = new LinkedHashMap<>();
    tree.forEach(
        (k, value) -> {
          int dot = k.indexOf('.');
          String name = dot < 0 ? k : k.substring(0, dot);
          String field = dot < 0 ? "" : k.substring(dot + 1);
          if (!FIELDS.contains(field)) {
            throw new ConfigException(
                PREFIX + k + ": unknown field '" + field + "'; expected one of " + FIELDS);
          }
          byName.computeIfAbsent(name, n -> new LinkedHashMap<>()).put(field, value);
        });
    List<WarmableEntry> entries = new ArrayList<>();
    byName.forEach((name, fields) -> entries.add(parse(name, fields)));
    return entries;
  }

  private static WarmableEntry parse(String name, Map<String, String> fields) {
    String base = PREFIX + name + ".";
    TagTemplate key = template(base + "key", required(base + "key", fields.get("key")));
    List<TagTemplate> tags = new ArrayList<>();
    for (String tag : required(base + "tags", fields.get("tags")).split(",")) {
      TagTemplate t = template(base + "tags", tag.trim());
      if (!key.columns().containsAll(t.columns())) {
        throw new ConfigException(
            base + "tags: tag '" + t + "' uses a placeholder that the key '" + key + "' lacks");
      }
      tags.add(t);
    }
    NamedQuery query =
        NamedQuery.parse(base + "query", required(base + "query", fields.get("query")));
    if (!key.columns().containsAll(query.parameters())) {
      throw new ConfigException(
          base
              + "query: parameters "
              + query.parameters()
              + " must all be placeholders of the key '"
              + key
              + "'");
    }
    long ttlMillis;
    try {
      ttlMillis = Long.parseLong(fields.getOrDefault("ttl.ms", "300000").trim());
    } catch (NumberFormatException e) {
      throw ConfigException.badValue(
          base + "ttl.ms", "a whole number of milliseconds", fields.get("ttl.ms"));
    }
    if (ttlMillis < 1) {
      throw ConfigException.badValue(
          base + "ttl.ms", "a whole number of milliseconds >= 1", fields.get("ttl.ms"));
    }
    return new WarmableEntry(name, key, List.copyOf(tags), query, Duration.ofMillis(ttlMillis));
  }

  private static String required(String key, String value) {
    if (value == null || value.isBlank()) {
      throw new ConfigException(key + ": required");
    }
    return value;
  }

  private static TagTemplate template(String key, String text) {
    try {
      return TagTemplate.parse(text);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key + ": " + e.getMessage());
    }
  }
}
