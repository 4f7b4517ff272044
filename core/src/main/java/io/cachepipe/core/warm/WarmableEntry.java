package io.cachepipe.core.warm;

import com.fasterxml.jackson.databind.JsonNode;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.sql.NamedQuery;
import io.cachepipe.core.tag.TagTemplate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A kind of cache entry the warmer recomputes after its eviction (a warm kind). Configured as:
 *
 * <pre>
 * cachepipe.warm.&lt;name&gt;.key    = cp:user_stats:{author_id}
 * cachepipe.warm.&lt;name&gt;.tags   = user:{author_id}
 * cachepipe.warm.&lt;name&gt;.query  = SELECT ... WHERE author_id = :author_id
 * cachepipe.warm.&lt;name&gt;.shape  = row | list
 * cachepipe.warm.&lt;name&gt;.ttl.ms = 300000
 * cachepipe.warm.&lt;name&gt;.batch.* (optional, see {@link BatchQuery})
 * </pre>
 *
 * The key's placeholders bind the query's named parameters and the tags. The query's result, as
 * JSON ({@link io.cachepipe.core.sql.JsonColumns}) in the kind's {@link Shape}, is the entry's
 * value: what the warmer writes, what the auditor compares with, and what an application reading
 * the key through the cache-client gets. {@link WarmKinds} reads them from the configuration.
 *
 * @param name the entry kind's name
 * @param key template of its keys
 * @param tags templates of its tags
 * @param query SQL with {@code :name} parameters taken from the key
 * @param ttl how long a warmed entry lives without an eviction
 * @param shape how the query's rows make the value
 * @param batch the query that recomputes many entries at once, if the kind has one
 */
public record WarmableEntry(
    String name,
    TagTemplate key,
    List<TagTemplate> tags,
    NamedQuery query,
    Duration ttl,
    Shape shape,
    Optional<BatchQuery> batch) {

  /** Prefix of the entry keys. */
  public static final String PREFIX = "cachepipe.warm.";

  /**
   * The example's expensive aggregate: an author's live post count and total views, answered by an
   * index-only scan on {@code posts_author_stats_idx}.
   */
  public static final String USER_STATS_QUERY =
      "SELECT count(*) AS post_count, coalesce(sum(view_count), 0) AS total_views"
          + " FROM posts WHERE author_id = :author_id AND is_deleted = false";

  /**
   * The example's user stats entry, in configuration form; it applies with {@code
   * cachepipe.warm.defaults=example} ({@link WarmKinds#DEFAULTS}).
   */
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
   * The entry's value as PostgreSQL has it now: the query with {@code params} bound, in the kind's
   * {@link Shape}; null when a {@link Shape#ROW row} kind's query has no row. The warmer fills
   * this; the consistency auditor compares cached values with it.
   *
   * @param params the placeholder values of the entry's key ({@link #match})
   */
  public JsonNode compute(Connection db, Map<String, String> params) throws SQLException {
    try (PreparedStatement st = db.prepareStatement(query.sql())) {
      query.bind(st, params);
      try (ResultSet rs = st.executeQuery()) {
        return shape.read(rs);
      }
    }
  }

  /**
   * The values of many entries of this kind, with one {@link #batch} query: each entry's batch key
   * ({@link #batchKey}) to its value, as {@link #compute} would give it when the batch query agrees
   * with the single one (an entry with no row has its shape's {@link Shape#empty}).
   *
   * @throws IllegalStateException if the kind has no batch query
   */
  public Map<String, JsonNode> computeBatch(Connection db, Collection<String> batchKeys)
      throws SQLException {
    return batch
        .orElseThrow(() -> new IllegalStateException(name + " has no batch query"))
        .compute(db, batchKeys, shape);
  }

  /** The value that identifies the entry of {@code params} in a {@link #batch} query's result. */
  public String batchKey(Map<String, String> params) {
    return params.get(batch.orElseThrow().placeholder());
  }

  /** Every configured entry kind ({@link WarmKinds#from}). */
  public static List<WarmableEntry> from(Settings settings) {
    return WarmKinds.from(settings);
  }
}
