package io.cachepipe.sidecar;

import com.fasterxml.jackson.databind.JsonNode;
import io.cachepipe.core.redis.CacheKeys;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

/**
 * The entries of an author that the race's readers cache: its stats (warmable) and its posts (not),
 * as ids and view counts so that every kind of write changes it.
 */
enum RaceEntry {
  STATS("user_stats", "SELECT count(*)::text || ',' || coalesce(sum(view_count), 0)"),
  POSTS("user_posts", "SELECT coalesce(string_agg(id || ':' || view_count, ',' ORDER BY id), '')");

  final String kind;
  private final String select;

  RaceEntry(String kind, String select) {
    this.kind = kind;
    this.select = select;
  }

  String key(long author) {
    return CacheKeys.entry(kind, author);
  }

  /** The statement that loads the entry of {@code author}, sleeping {@code seconds} in it. */
  String query(long author, double seconds) {
    return select
        + (seconds > 0 ? ", pg_sleep(" + seconds + ")" : "")
        + " FROM posts WHERE author_id = "
        + author
        + " AND is_deleted = false";
  }

  /**
   * The entry's value from PostgreSQL, in the warmer's shape for stats ({@code post_count}, {@code
   * total_views}). The query sleeps {@code seconds}: the snapshot is taken when the statement
   * starts, so the value is that old when it returns.
   */
  Map<String, Object> load(Connection db, long author, double seconds) throws SQLException {
    try (Statement st = db.createStatement();
        ResultSet rs = st.executeQuery(query(author, seconds))) {
      rs.next();
      String text = rs.getString(1);
      if (this == POSTS) {
        return Map.of("posts", text);
      }
      String[] parts = text.split(",");
      return Map.of(
          "post_count", Long.parseLong(parts[0]), "total_views", Long.parseLong(parts[1]));
    }
  }

  /** Field by field as text: the warmer writes sums as decimals (111), readers as longs. */
  static boolean sameValues(JsonNode cached, JsonNode actual) {
    if (cached.size() != actual.size()) {
      return false;
    }
    for (var field : (Iterable<Map.Entry<String, JsonNode>>) actual::fields) {
      JsonNode value = cached.get(field.getKey());
      if (value == null || !value.asText().equals(field.getValue().asText())) {
        return false;
      }
    }
    return true;
  }
}
