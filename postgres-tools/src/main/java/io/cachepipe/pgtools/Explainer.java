package io.cachepipe.pgtools;

import com.fasterxml.jackson.databind.JsonNode;
import io.cachepipe.core.json.Json;
import io.cachepipe.core.sql.NamedQuery;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) of one statement. ANALYZE really executes the statement,
 * so it runs in a transaction that is always rolled back: an explained UPDATE changes nothing. Text
 * that is not exactly one such statement is refused before it is sent ({@link
 * ExplainableStatement}).
 */
public final class Explainer {

  private static final String PREFIX = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ";

  private Explainer() {}

  /**
   * Explains {@code sql}, whose {@code :name} parameters take their values from {@code params}.
   *
   * @throws ToolException for SQL PostgreSQL rejects (with its position), or a missing parameter
   */
  public static QueryPlan explain(Connection db, String sql, Map<String, String> params) {
    ExplainableStatement.check(sql);
    NamedQuery query = NamedQuery.of(sql);
    boolean autoCommit = autoCommit(db);
    try {
      // Undo only what EXPLAIN ANALYZE did: the whole transaction if this started it, else back to
      // a savepoint, keeping the caller's earlier work in its open transaction.
      db.setAutoCommit(false);
      Savepoint savepoint = autoCommit ? null : db.setSavepoint();
      try (PreparedStatement st = db.prepareStatement(PREFIX + query.sql())) {
        query.bind(st, params);
        try (ResultSet rs = st.executeQuery()) {
          rs.next();
          return parse(rs.getString(1));
        }
      } finally {
        if (savepoint == null) {
          db.rollback();
          db.setAutoCommit(true);
        } else {
          db.rollback(savepoint);
        }
      }
    } catch (PSQLException e) {
      throw new ToolException(describe(e, query), e);
    } catch (SQLException e) {
      throw new ToolException("cannot explain: " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new ToolException(e.getMessage() + " (give it with --param name=value)", e);
    }
  }

  /**
   * PostgreSQL's message with the position in the user's statement: not counting the EXPLAIN around
   * it, and with each {@code :name} as the user wrote it, not as the {@code $n} sent.
   */
  static String describe(PSQLException e, NamedQuery query) {
    ServerErrorMessage server = e.getServerErrorMessage();
    if (server == null) {
      return e.getMessage();
    }
    String text = server.getSQLState() + ": " + server.getMessage();
    int position = server.getPosition() - PREFIX.length();
    if (position > 0) {
      text += " (at character " + query.originalPosition(position) + " of the statement)";
    }
    return text;
  }

  private static boolean autoCommit(Connection db) {
    try {
      return db.getAutoCommit();
    } catch (SQLException e) {
      throw new ToolException("connection unusable: " + e.getMessage(), e);
    }
  }

  static QueryPlan parse(String json) {
    try {
      JsonNode root = Json.mapper().readTree(json).get(0);
      JsonNode plan = root.get("Plan");
      List<QueryPlan.Node> nodes = new ArrayList<>();
      collect(plan, 0, nodes);
      return new QueryPlan(
          root.path("Planning Time").asDouble(),
          root.path("Execution Time").asDouble(),
          plan.path("Total Cost").asDouble(),
          plan.path("Actual Rows").asLong(),
          List.copyOf(nodes),
          json);
    } catch (IOException e) {
      throw new ToolException("PostgreSQL returned a plan that is not JSON: " + e.getMessage(), e);
    }
  }

  private static void collect(JsonNode node, int depth, List<QueryPlan.Node> out) {
    out.add(
        new QueryPlan.Node(
            depth,
            node.path("Node Type").asText(),
            text(node, "Relation Name"),
            text(node, "Index Name"),
            node.path("Actual Rows").asLong(),
            node.path("Actual Loops").asLong(1),
            node.path("Actual Total Time").asDouble(),
            node.path("Shared Hit Blocks").asLong(),
            node.path("Shared Read Blocks").asLong()));
    for (JsonNode child : node.path("Plans")) {
      collect(child, depth + 1, out);
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null ? null : value.asText();
  }
}
