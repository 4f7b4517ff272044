package io.cachepipe.pgtools;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** Rows for the example schema, enough that the planner prefers the recipe's indexes. */
final class ExamplePosts {

  private ExamplePosts() {}

  /**
   * Inserts users 1..{@code authors} and {@code postsPerAuthor} live posts each, then vacuums and
   * analyzes: the visibility map lets the user stats query be an index-only scan.
   */
  static void seed(Connection db, int authors, int postsPerAuthor) throws SQLException {
    try (Statement st = db.createStatement()) {
      st.execute(
          "INSERT INTO users (id, name, email) SELECT g, 'user ' || g, 'u' || g || '@example.com'"
              + " FROM generate_series(1, "
              + authors
              + ") g");
      st.execute(
          "INSERT INTO posts (author_id, title, tags, is_published, like_count, view_count)"
              + " SELECT 1 + g % "
              + authors
              + ", 'post ' || g, ARRAY['t' || g % 20], g % 3 <> 0, g % 97, g % 1013"
              + " FROM generate_series(1, "
              + authors * postsPerAuthor
              + ") g");
      st.execute("VACUUM ANALYZE users");
      st.execute("VACUUM ANALYZE posts");
    }
  }
}
