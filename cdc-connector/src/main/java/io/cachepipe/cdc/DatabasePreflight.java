package io.cachepipe.cdc;

import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Secrets;
import io.cachepipe.core.tag.TagRule;
import io.cachepipe.core.tag.TagRules;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks, before the engine starts, what would otherwise fail late or silently: the WAL level, the
 * watched tables and their replica identity; and makes sure the publication covers the tables.
 */
final class DatabasePreflight {

  private static final Logger LOG = LoggerFactory.getLogger(DatabasePreflight.class);

  private DatabasePreflight() {}

  static void run(Connections connections, CdcConfig config, List<String> tables, TagRules rules) {
    try (Connection db = connect(connections)) {
      checkWalLevel(db);
      for (String table : tables) {
        checkReplicaIdentity(db, table, config.requireReplicaIdentityFull());
        checkRuleColumns(db, table, rules.rulesOf(table));
      }
      ensurePublication(db, config.publicationName(), tables);
    } catch (SQLException e) {
      throw failure("cannot prepare capture from", connections, e);
    }
  }

  /**
   * What can be checked before the watched tables exist: the WAL level, so that a server not set up
   * for logical replication is refused at once rather than after its tables appear.
   */
  static void checkServer(Connections connections) {
    try (Connection db = connect(connections)) {
      checkWalLevel(db);
    } catch (SQLException e) {
      throw failure("cannot prepare capture from", connections, e);
    }
  }

  /**
   * The watched tables that do not exist (yet): a database whose schema is applied after cachepipe
   * starts (a fresh docker-compose stack, a migration job beside the sidecar) has none at first.
   */
  static List<String> missingTables(Connections connections, List<String> tables) {
    try (Connection db = connect(connections)) {
      List<String> missing = new ArrayList<>();
      for (String table : tables) {
        if (replicaIdentity(db, table) == null) {
          missing.add(table);
        }
      }
      return missing;
    } catch (SQLException e) {
      throw failure("cannot look for the watched tables in", connections, e);
    }
  }

  private static Connection connect(Connections connections) throws SQLException {
    return DriverManager.getConnection(
        connections.postgresUrl(), connections.postgresUser(), connections.postgresPassword());
  }

  private static CdcException failure(String what, Connections connections, SQLException e) {
    return new CdcException(
        what
            + " PostgreSQL at "
            + Secrets.maskCredentials(connections.postgresUrl())
            + " as "
            + connections.postgresUser()
            + ": "
            + e.getMessage(),
        e);
  }

  /** The table's REPLICA IDENTITY code ({@code f} for FULL), or null if there is no such table. */
  private static String replicaIdentity(Connection db, String table) throws SQLException {
    String[] parts = split(table);
    try (PreparedStatement st =
        db.prepareStatement(
            "SELECT c.relreplident FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p')")) {
      st.setString(1, parts[0]);
      st.setString(2, parts[1]);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  private static void checkWalLevel(Connection db) throws SQLException {
    try (Statement st = db.createStatement();
        ResultSet rs = st.executeQuery("SHOW wal_level")) {
      rs.next();
      String level = rs.getString(1);
      if (!"logical".equals(level)) {
        throw new CdcException(
            "PostgreSQL wal_level is '"
                + level
                + "', logical replication needs 'logical': run ALTER SYSTEM SET wal_level ="
                + " logical; (or set wal_level = logical in postgresql.conf) and restart PostgreSQL");
      }
    }
  }

  private static void checkReplicaIdentity(Connection db, String table, boolean requireFull)
      throws SQLException {
    String identity = replicaIdentity(db, table);
    if (identity == null) {
      throw new CdcException("watched table " + table + " does not exist");
    }
    if (!"f".equals(identity)) {
      String message =
          "table "
              + table
              + " has REPLICA IDENTITY "
              + identityName(identity)
              + ": its updates carry no before-image and its deletes zero-filled columns, so"
              + " entries tagged by old values would never be evicted. Fix: ALTER TABLE "
              + quoted(table)
              + " REPLICA IDENTITY FULL; (or set cachepipe.cdc.require.replica.identity.full=false)";
      if (requireFull) {
        throw new CdcException(message);
      }
      LOG.warn("{} (check turned off)", message);
    }
  }

  /** A rule naming a column the table lacks would silently never fire: refuse it at start. */
  private static void checkRuleColumns(Connection db, String table, List<TagRule> rules)
      throws SQLException {
    if (rules.isEmpty()) {
      return;
    }
    String[] parts = split(table);
    Set<String> columns = new HashSet<>();
    try (PreparedStatement st =
        db.prepareStatement(
            "SELECT column_name FROM information_schema.columns"
                + " WHERE table_schema = ? AND table_name = ?")) {
      st.setString(1, parts[0]);
      st.setString(2, parts[1]);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          columns.add(rs.getString(1));
        }
      }
    }
    for (TagRule rule : rules) {
      Set<String> named = new LinkedHashSet<>(rule.template().columns());
      named.addAll(rule.columns());
      for (String column : named) {
        if (!columns.contains(column)) {
          throw new CdcException(
              "tag rule "
                  + TagRules.PREFIX
                  + rule.name()
                  + " names column '"
                  + column
                  + "', which table "
                  + table
                  + " does not have (its columns: "
                  + new TreeSet<>(columns)
                  + ")");
        }
      }
    }
  }

  private static void ensurePublication(Connection db, String publication, List<String> tables)
      throws SQLException {
    Boolean allTables = null;
    try (PreparedStatement st =
        db.prepareStatement("SELECT puballtables FROM pg_publication WHERE pubname = ?")) {
      st.setString(1, publication);
      try (ResultSet rs = st.executeQuery()) {
        if (rs.next()) {
          allTables = rs.getBoolean(1);
        }
      }
    }
    if (allTables == null) {
      List<String> quoted = tables.stream().map(DatabasePreflight::quoted).toList();
      try (Statement st = db.createStatement()) {
        st.execute(
            "CREATE PUBLICATION "
                + quoteIdent(publication)
                + " FOR TABLE "
                + String.join(", ", quoted));
      }
      LOG.info("created publication {} for {}", publication, tables);
      return;
    }
    if (allTables) {
      return;
    }
    Set<String> published = new HashSet<>();
    try (PreparedStatement st =
        db.prepareStatement(
            "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = ?")) {
      st.setString(1, publication);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          published.add(rs.getString(1) + "." + rs.getString(2));
        }
      }
    }
    List<String> missing = new ArrayList<>(tables);
    missing.removeAll(published);
    for (String table : missing) {
      try (Statement st = db.createStatement()) {
        st.execute("ALTER PUBLICATION " + quoteIdent(publication) + " ADD TABLE " + quoted(table));
      }
      LOG.info("added {} to publication {}", table, publication);
    }
  }

  private static String identityName(String code) {
    return switch (code) {
      case "d" -> "DEFAULT";
      case "n" -> "NOTHING";
      case "i" -> "USING INDEX";
      default -> code;
    };
  }

  private static String[] split(String table) {
    int dot = table.indexOf('.');
    return dot < 0
        ? new String[] {"public", table}
        : new String[] {table.substring(0, dot), table.substring(dot + 1)};
  }

  static String quoted(String table) {
    String[] parts = split(table);
    return quoteIdent(parts[0]) + "." + quoteIdent(parts[1]);
  }

  private static String quoteIdent(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }
}
