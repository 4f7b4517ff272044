package io.cachepipe.example;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cachepipe.servers.LocalPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each index of the example schema serves the query it was made for, on a table big enough that the
 * planner has a choice (100,000 posts of 1,000 authors, vacuumed and analyzed), as EXPLAIN shows.
 */
class ExampleIndexesIT {

  private static LocalPostgres postgres;
  private static Connection db;

  @BeforeAll
  static void loadPosts() throws SQLException {
    postgres = LocalPostgres.start();
    String url = postgres.createDatabase("indexes_it");
    ExampleSchema.migrate(url, postgres.user(), postgres.password());
    db = DriverManager.getConnection(url, postgres.user(), postgres.password());
    try (Statement st = db.createStatement()) {
      st.execute(
          "INSERT INTO users (name, email) SELECT 'user ' || g, 'u' || g || '@example.com'"
              + " FROM generate_series(1, 1000) g");
      // 100 posts an author; a third unpublished, one in twenty deleted, tags t0..t19 and a rare
      // one, engagement spread out.
      st.execute(
          "INSERT INTO posts (author_id, title, tags, is_published, is_deleted, like_count,"
              + " view_count, created_at)"
              + " SELECT 1 + g % 1000, 'post ' || g,"
              + " CASE WHEN g % 5000 = 0 THEN ARRAY['rare'] ELSE ARRAY['t' || g % 20] END,"
              + " g % 3 <> 0, g % 20 = 0, g % 97, g % 1013,"
              + " now() - g * interval '1 minute'"
              + " FROM generate_series(1, 100000) g");
      st.execute("VACUUM ANALYZE users");
      st.execute("VACUUM ANALYZE posts");
    }
  }

  @AfterAll
  static void stop() throws SQLException {
    if (db != null) {
      db.close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  void userStatsQueryIsAnIndexOnlyScan() throws Exception {
    JsonNode plan =
        explain(
            "SELECT count(*), coalesce(sum(view_count), 0) FROM posts"
                + " WHERE author_id = 42 AND is_deleted = false");

    assertThat(scans(plan)).contains("Index Only Scan on posts_author_stats_idx");
    assertThat(scans(plan)).noneMatch(s -> s.startsWith("Seq Scan"));
  }

  @Test
  void authorsPublishedPostsNewestFirstUseTheCompositePartialIndex() throws Exception {
    JsonNode plan =
        explain(
            "SELECT id, title FROM posts WHERE author_id = 42 AND is_published"
                + " AND is_deleted = false ORDER BY created_at DESC LIMIT 10");

    assertThat(scans(plan)).anyMatch(s -> s.endsWith("on posts_author_published_created_idx"));
  }

  @Test
  void publicFeedUsesThePartialPublishedIndex() throws Exception {
    JsonNode plan =
        explain(
            "SELECT id, title FROM posts WHERE is_published AND NOT is_deleted"
                + " ORDER BY created_at DESC LIMIT 20");

    assertThat(scans(plan)).anyMatch(s -> s.endsWith("on posts_published_created_idx"));
  }

  @Test
  void postsByTagUseTheGinIndex() throws Exception {
    JsonNode plan = explain("SELECT id FROM posts WHERE tags @> ARRAY['rare']");

    assertThat(scans(plan)).contains("Bitmap Index Scan on posts_tags_gin_idx");
  }

  @Test
  void trendingUsesTheEngagementExpressionIndex() throws Exception {
    JsonNode plan =
        explain(
            "SELECT id FROM posts WHERE is_published"
                + " ORDER BY (like_count * 2 + view_count * 0.1) DESC LIMIT 10");

    assertThat(scans(plan)).anyMatch(s -> s.endsWith("on posts_engagement_idx"));
  }

  /** EXPLAIN (FORMAT JSON) of {@code sql}: the top plan node. */
  private static JsonNode explain(String sql) throws Exception {
    try (Statement st = db.createStatement();
        ResultSet rs = st.executeQuery("EXPLAIN (FORMAT JSON) " + sql)) {
      rs.next();
      return new ObjectMapper().readTree(rs.getString(1)).get(0).get("Plan");
    }
  }

  /** Every scan node of the plan as "Node Type on relation-or-index". */
  private static List<String> scans(JsonNode plan) {
    List<String> out = new ArrayList<>();
    collect(plan, out);
    return out;
  }

  private static void collect(JsonNode node, List<String> out) {
    String type = node.get("Node Type").asText();
    if (type.contains("Scan")) {
      JsonNode on = node.has("Index Name") ? node.get("Index Name") : node.get("Relation Name");
      out.add(type + " on " + (on == null ? "?" : on.asText()));
    }
    if (node.has("Plans")) {
      node.get("Plans").forEach(child -> collect(child, out));
    }
  }
}
