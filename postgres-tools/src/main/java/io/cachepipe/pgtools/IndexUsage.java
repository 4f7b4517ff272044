package io.cachepipe.pgtools;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** How often each index was scanned, from pg_stat_user_indexes, and which ones never were. */
public final class IndexUsage {

  /**
   * One index.
   *
   * @param table schema-qualified table
   * @param index index name
   * @param scans index scans since the statistics were reset
   * @param tuplesRead index entries read by those scans
   * @param sizeBytes the index's size
   * @param unused never scanned and not enforcing a constraint (primary key or unique): a candidate
   *     to drop, costing writes and space for nothing
   */
  public record Index(
      String table, String index, long scans, long tuplesRead, long sizeBytes, boolean unused) {}

  private IndexUsage() {}

  /**
   * Every user index, or those of {@code table} when it is not null.
   *
   * @throws ToolException if {@code table} does not exist
   */
  public static List<Index> of(Connection db, String table) {
    try {
      Long tableOid = table == null ? null : oidOf(db, table);
      String sql =
          "SELECT s.schemaname || '.' || s.relname, s.indexrelname, s.idx_scan, s.idx_tup_read,"
              + " pg_relation_size(s.indexrelid), i.indisunique OR i.indisprimary"
              + " FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid"
              + (tableOid == null ? "" : " WHERE s.relid = ?")
              + " ORDER BY 1, 2";
      try (PreparedStatement st = db.prepareStatement(sql)) {
        if (tableOid != null) {
          st.setLong(1, tableOid);
        }
        List<Index> out = new ArrayList<>();
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            long scans = rs.getLong(3);
            boolean enforcesConstraint = rs.getBoolean(6);
            out.add(
                new Index(
                    rs.getString(1),
                    rs.getString(2),
                    scans,
                    rs.getLong(4),
                    rs.getLong(5),
                    scans == 0 && !enforcesConstraint));
          }
        }
        return out;
      }
    } catch (SQLException e) {
      throw new ToolException("cannot read index statistics: " + e.getMessage(), e);
    }
  }

  private static long oidOf(Connection db, String table) throws SQLException {
    try (PreparedStatement st =
        db.prepareStatement(
            "SELECT oid FROM pg_class WHERE oid = to_regclass(?) AND relkind IN ('r', 'p', 'm')")) {
      st.setString(1, table);
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) {
          throw new ToolException("table " + table + " does not exist");
        }
        return rs.getLong(1);
      }
    }
  }
}
