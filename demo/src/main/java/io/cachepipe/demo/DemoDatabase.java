package io.cachepipe.demo;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** The demo application's database access: its writes and its one expensive read. */
public final class DemoDatabase implements AutoCloseable {

  /** The application's user stats query (the warmer's configured query computes the same). */
  static final String USER_STATS =
      "SELECT count(*), coalesce(sum(view_count), 0) FROM posts"
          + " WHERE author_id = ? AND is_deleted = false";

  private final HikariDataSource pool;

  DemoDatabase(String url, String user, String password, int poolSize) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setUsername(user);
    config.setPassword(password);
    config.setMaximumPoolSize(poolSize);
    config.setPoolName("cachepipe-demo");
    this.pool = new HikariDataSource(config);
  }

  public Connection connection() throws SQLException {
    return pool.getConnection();
  }

  public UserStats userStats(long authorId) throws SQLException {
    try (Connection db = pool.getConnection();
        PreparedStatement st = db.prepareStatement(USER_STATS)) {
      st.setLong(1, authorId);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return new UserStats(rs.getLong(1), rs.getLong(2));
      }
    }
  }

  /** The WAL position now, in bytes. */
  long currentLsn() throws SQLException {
    try (Connection db = pool.getConnection();
        Statement st = db.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Users and posts to start from: {@code users} authors with {@code postsPerUser} posts each. */
  void seed(int users, int postsPerUser) throws SQLException {
    try (Connection db = pool.getConnection();
        Statement st = db.createStatement()) {
      st.execute(
          "INSERT INTO users (name, email) SELECT 'user ' || g, 'user' || g || '@example.com'"
              + " FROM generate_series(1, "
              + users
              + ") g ON CONFLICT DO NOTHING");
      st.execute(
          "INSERT INTO posts (author_id, title, body, tags, is_published, view_count)"
              + " SELECT u.id, 'post ' || g, 'body', ARRAY['t' || (g % 10)], g % 3 <> 0, g % 100"
              + " FROM users u, generate_series(1, "
              + postsPerUser
              + ") g");
      st.execute("ANALYZE users");
      st.execute("ANALYZE posts");
    }
  }

  public long maxId(String table) throws SQLException {
    try (Connection db = pool.getConnection();
        Statement st = db.createStatement();
        ResultSet rs = st.executeQuery("SELECT coalesce(max(id), 0) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Override
  public void close() {
    pool.close();
  }
}
