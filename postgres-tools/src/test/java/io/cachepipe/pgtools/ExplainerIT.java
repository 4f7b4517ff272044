package io.cachepipe.pgtools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cachepipe.testing.PostgresFixture;
import io.cachepipe.testing.TestServers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** EXPLAIN ANALYZE of the recipe's statements, on 20,000 posts of 200 authors. */
class ExplainerIT {

  private static final String USER_STATS =
      "SELECT count(*), coalesce(sum(view_count),0) FROM posts"
          + " WHERE author_id = :author_id AND is_deleted = false";

  private static PostgresFixture.Database database;
  private static Connection db;

  @BeforeAll
  static void seed() throws SQLException {
    database = TestServers.postgres().createDatabase("explainer_it");
    db = connect();
    ExamplePosts.seed(db, 200, 100);
  }

  @AfterAll
  static void close() throws SQLException {
    if (db != null) {
      db.close();
    }
  }

  @AfterEach
  void restoreAutoCommit() throws SQLException {
    if (!db.getAutoCommit()) {
      db.rollback();
      db.setAutoCommit(true);
    }
  }

  @Test
  void userStatsQueryReportsTimesCostOneRowAndTheStatsIndex() {
    QueryPlan plan = Explainer.explain(db, USER_STATS, Map.of("author_id", "1"));

    assertThat(plan.planningMs()).isPositive();
    assertThat(plan.executionMs()).isPositive();
    assertThat(plan.rows()).isEqualTo(1);
    assertThat(plan.totalCost()).isPositive();
    assertThat(plan.indexes()).contains("posts_author_stats_idx");
    assertThat(plan.nodes())
        .anySatisfy(
            node -> {
              assertThat(node.index()).isEqualTo("posts_author_stats_idx");
              assertThat(node.relation()).isEqualTo("posts");
              assertThat(node.rows()).isEqualTo(100);
            });
    assertThat(plan.nodes().get(0).depth()).isZero();
    assertThat(plan.json()).contains("\"Execution Time\"");
  }

  @Test
  void explainedUpdateChangesNothing() throws SQLException {
    long id = singleLong("SELECT min(id) FROM posts");
    String before = singleText("SELECT title FROM posts WHERE id = " + id);

    QueryPlan plan =
        Explainer.explain(
            db, "UPDATE posts SET title = 'x' WHERE id = :id", Map.of("id", Long.toString(id)));

    assertThat(plan.nodes().get(0).type()).isEqualTo("ModifyTable");
    assertThat(before).isNotEqualTo("x");
    try (Connection other = connect()) {
      assertThat(singleText(other, "SELECT title FROM posts WHERE id = " + id)).isEqualTo(before);
    }
    assertThat(singleText("SELECT title FROM posts WHERE id = " + id)).isEqualTo(before);
  }

  @Test
  void autoCommitIsLeftOnWhenItWasOn() throws SQLException {
    db.setAutoCommit(true);

    Explainer.explain(db, USER_STATS, Map.of("author_id", "1"));

    assertThat(db.getAutoCommit()).isTrue();
  }

  @Test
  void autoCommitIsLeftOffWhenItWasOff() throws SQLException {
    db.setAutoCommit(false);

    Explainer.explain(db, USER_STATS, Map.of("author_id", "1"));

    assertThat(db.getAutoCommit()).isFalse();
  }

  @Test
  void autoCommitIsRestoredAfterAFailedExplain() throws SQLException {
    db.setAutoCommit(true);

    assertThatThrownBy(() -> Explainer.explain(db, "SELEC 1", Map.of()))
        .isInstanceOf(ToolException.class);

    assertThat(db.getAutoCommit()).isTrue();
    assertThat(singleLong("SELECT 1")).isEqualTo(1);
  }

  /**
   * With auto-commit off the caller may have work in progress; explaining a statement must not
   * throw it away (a savepoint, not the caller's transaction, is what ANALYZE should roll back).
   */
  @Test
  void explainingInsideTheCallersTransactionKeepsItsEarlierWork() throws SQLException {
    db.setAutoCommit(false);
    try (Statement st = db.createStatement()) {
      st.execute("INSERT INTO users (id, name, email) VALUES (100001, 'pending', 'p@example.com')");
    }

    Explainer.explain(db, USER_STATS, Map.of("author_id", "1"));

    assertThat(singleLong("SELECT count(*) FROM users WHERE id = 100001")).isEqualTo(1);
  }

  @Test
  void syntaxErrorGivesPostgresMessageAndPositionOnOneLine() {
    assertThatThrownBy(() -> Explainer.explain(db, "SELEC 1", Map.of()))
        .isInstanceOf(ToolException.class)
        .hasMessageContaining("syntax error at or near \"SELEC\"")
        .hasMessageContaining("at character 1 ")
        .hasMessageNotContaining("\n");
  }

  @Test
  void errorPositionIsInTheUsersStatementNotTheExplainAroundIt() {
    assertThatThrownBy(() -> Explainer.explain(db, "SELECT * FORM posts", Map.of()))
        .isInstanceOf(ToolException.class)
        .hasMessageContaining("syntax error at or near \"FORM\"")
        .hasMessageContaining("at character 10 of the statement");
  }

  /** The driver sends {@code :author_id} as {@code $1}: positions after it must still fit. */
  @Test
  void errorPositionAfterAParameterIsInTheUsersStatement() {
    String sql = "SELECT id FROM posts WHERE author_id = :author_id AND nosuch = 1";
    int position = sql.indexOf("nosuch") + 1;

    assertThatThrownBy(() -> Explainer.explain(db, sql, Map.of("author_id", "1")))
        .isInstanceOf(ToolException.class)
        .hasMessageContaining("column \"nosuch\" does not exist")
        .hasMessageContaining("at character " + position + " of the statement");
  }

  @Test
  void unknownTableIsNamed() {
    assertThatThrownBy(() -> Explainer.explain(db, "SELECT * FROM nosuch_table", Map.of()))
        .isInstanceOf(ToolException.class)
        .hasMessageContaining("relation \"nosuch_table\" does not exist")
        .hasMessageContaining("at character 15 of the statement");
  }

  @Test
  void missingParameterIsNamed() {
    assertThatThrownBy(() -> Explainer.explain(db, USER_STATS, Map.of("id", "1")))
        .isInstanceOf(ToolException.class)
        .hasMessageContaining(":author_id");
  }

  private static Connection connect() throws SQLException {
    return DriverManager.getConnection(database.jdbcUrl(), database.user(), database.password());
  }

  private static long singleLong(String sql) throws SQLException {
    return Long.parseLong(singleText(db, sql));
  }

  private static String singleText(String sql) throws SQLException {
    return singleText(db, sql);
  }

  private static String singleText(Connection connection, String sql) throws SQLException {
    try (Statement st = connection.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
