package io.cachepipe.pgtools;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The recipe's health checks of the current database: buffer cache hit ratio, the slowest mean
 * statement time, and connection use, each against a threshold; and the connections by state.
 */
public final class DatabaseHealth {

  /**
   * Limits a healthy database stays within; the recipe's are {@link #RECIPE}.
   *
   * @param minCacheHitRatio buffer cache hits / blocks touched must be above this
   * @param maxMeanQueryMs the slowest statement's mean time must be under this
   * @param maxConnectionUse connections / max_connections must be under this
   */
  public record Thresholds(
      double minCacheHitRatio, double maxMeanQueryMs, double maxConnectionUse) {
    public static final Thresholds RECIPE = new Thresholds(0.90, 100, 0.80);
  }

  /** A check's outcome. UNKNOWN means it could not be measured; it does not fail the report. */
  public enum Status {
    OK,
    FAILED,
    UNKNOWN
  }

  /**
   * One check.
   *
   * @param name what it checks
   * @param value the measured value (NaN when unknown)
   * @param limit the threshold
   * @param rule how value and limit compare when healthy ("&gt; 0.9")
   * @param status the outcome
   * @param detail why it is unknown, or what was slowest
   */
  public record Check(
      String name, double value, double limit, String rule, Status status, String detail) {}

  /**
   * Connections of one state.
   *
   * @param state active, idle, idle in transaction, ... ("background" for workers)
   * @param count how many
   * @param averageAgeSeconds their mean age since they connected
   */
  public record ConnectionState(String state, long count, double averageAgeSeconds) {}

  /**
   * The report.
   *
   * @param checks the threshold checks
   * @param connections connections to this database by state
   */
  public record Report(List<Check> checks, List<ConnectionState> connections) {
    /** Whether no check failed. */
    public boolean healthy() {
      return checks.stream().noneMatch(c -> c.status() == Status.FAILED);
    }
  }

  private DatabaseHealth() {}

  public static Report check(Connection db, Thresholds limits) {
    try (Statement st = db.createStatement()) {
      List<Check> checks = new ArrayList<>();
      checks.add(cacheHitRatio(st, limits.minCacheHitRatio()));
      checks.add(slowestMean(db, st, limits.maxMeanQueryMs()));
      checks.add(connectionUse(st, limits.maxConnectionUse()));
      return new Report(List.copyOf(checks), connections(st));
    } catch (SQLException e) {
      throw new ToolException("cannot read database statistics: " + e.getMessage(), e);
    }
  }

  private static Check cacheHitRatio(Statement st, double min) throws SQLException {
    try (ResultSet rs =
        st.executeQuery(
            "SELECT blks_hit, blks_read FROM pg_stat_database WHERE datname = current_database()")) {
      rs.next();
      long hit = rs.getLong(1);
      long read = rs.getLong(2);
      double ratio = hit + read == 0 ? 1.0 : (double) hit / (hit + read);
      return new Check(
          "buffer cache hit ratio",
          ratio,
          min,
          "> " + min,
          ratio > min ? Status.OK : Status.FAILED,
          hit + " hits, " + read + " reads");
    }
  }

  private static Check slowestMean(Connection db, Statement st, double maxMs) throws SQLException {
    String name = "slowest statement mean time (ms)";
    try {
      SlowQueries.requireStatements(db);
    } catch (ToolException e) {
      return new Check(name, Double.NaN, maxMs, "< " + maxMs, Status.UNKNOWN, e.getMessage());
    }
    try (ResultSet rs =
        st.executeQuery(
            "SELECT mean_exec_time, query FROM pg_stat_statements"
                + " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
                + " ORDER BY mean_exec_time DESC LIMIT 1")) {
      if (!rs.next()) {
        return new Check(name, 0, maxMs, "< " + maxMs, Status.OK, "no statement recorded yet");
      }
      double mean = rs.getDouble(1);
      return new Check(
          name,
          mean,
          maxMs,
          "< " + maxMs,
          mean < maxMs ? Status.OK : Status.FAILED,
          oneLine(rs.getString(2)));
    }
  }

  private static Check connectionUse(Statement st, double max) throws SQLException {
    try (ResultSet rs =
        st.executeQuery(
            "SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),"
                + " current_setting('max_connections')::int")) {
      rs.next();
      long used = rs.getLong(1);
      int limit = rs.getInt(2);
      double use = (double) used / limit;
      return new Check(
          "connection use (of max_connections)",
          use,
          max,
          "< " + max,
          use < max ? Status.OK : Status.FAILED,
          used + " of " + limit);
    }
  }

  private static List<ConnectionState> connections(Statement st) throws SQLException {
    List<ConnectionState> out = new ArrayList<>();
    try (ResultSet rs =
        st.executeQuery(
            "SELECT coalesce(state, 'background'), count(*),"
                + " coalesce(extract(epoch FROM avg(now() - backend_start)), 0)"
                + " FROM pg_stat_activity WHERE datname = current_database()"
                + " GROUP BY 1 ORDER BY 1")) {
      while (rs.next()) {
        out.add(new ConnectionState(rs.getString(1), rs.getLong(2), rs.getDouble(3)));
      }
    }
    return out;
  }

  private static String oneLine(String query) {
    String q = query.replaceAll("\\s+", " ").trim();
    return q.length() <= 120 ? q : q.substring(0, 117) + "...";
  }
}
