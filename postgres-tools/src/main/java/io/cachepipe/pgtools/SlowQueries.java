package io.cachepipe.pgtools;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** The slowest statements by mean time, from pg_stat_statements, for the current database. */
public final class SlowQueries {

  /**
   * One statement's figures.
   *
   * @param query the normalized statement text
   * @param calls how often it ran
   * @param meanMs its mean execution time
   * @param totalMs its total execution time
   * @param cacheHitRatio buffer cache hits / blocks touched (null if it touched none)
   */
  public record SlowStatement(
      String query, long calls, double meanMs, double totalMs, Double cacheHitRatio) {}

  private SlowQueries() {}

  /**
   * The {@code limit} statements with the highest mean time of at least {@code minMeanMs}.
   *
   * @throws ToolException if pg_stat_statements is not loaded or not installed, saying how to fix
   */
  public static List<SlowStatement> top(Connection db, int limit, double minMeanMs) {
    requireStatements(db);
    String sql =
        "SELECT query, calls, mean_exec_time, total_exec_time,"
            + " CASE WHEN shared_blks_hit + shared_blks_read = 0 THEN NULL"
            + " ELSE shared_blks_hit::float8 / (shared_blks_hit + shared_blks_read) END"
            + " FROM pg_stat_statements"
            + " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
            + " AND mean_exec_time >= ?"
            + " ORDER BY mean_exec_time DESC LIMIT ?";
    try (PreparedStatement st = db.prepareStatement(sql)) {
      st.setDouble(1, minMeanMs);
      st.setInt(2, limit);
      List<SlowStatement> out = new ArrayList<>();
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          double hit = rs.getDouble(5);
          out.add(
              new SlowStatement(
                  rs.getString(1),
                  rs.getLong(2),
                  rs.getDouble(3),
                  rs.getDouble(4),
                  rs.wasNull() ? null : hit));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new ToolException("cannot read pg_stat_statements: " + e.getMessage(), e);
    }
  }

  /**
   * Fails with the fix unless pg_stat_statements is both preloaded by the server and installed in
   * this database.
   */
  static void requireStatements(Connection db) {
    try (Statement st = db.createStatement()) {
      boolean preloaded;
      try (ResultSet rs = st.executeQuery("SHOW shared_preload_libraries")) {
        rs.next();
        preloaded = rs.getString(1).contains("pg_stat_statements");
      }
      if (!preloaded) {
        throw new ToolException(
            "pg_stat_statements is not loaded by the server: run ALTER SYSTEM SET"
                + " shared_preload_libraries = 'pg_stat_statements'; (or add it to"
                + " shared_preload_libraries in postgresql.conf), restart PostgreSQL, then run"
                + " CREATE EXTENSION pg_stat_statements; in this database");
      }
      try (ResultSet rs =
          st.executeQuery("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'")) {
        if (!rs.next()) {
          throw new ToolException(
              "pg_stat_statements is loaded but not installed in this database: run CREATE"
                  + " EXTENSION pg_stat_statements;");
        }
      }
    } catch (SQLException e) {
      throw new ToolException("cannot check pg_stat_statements: " + e.getMessage(), e);
    }
  }
}
