package io.cachepipe.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cachepipe.core.json.Json;
import io.cachepipe.testing.PostgresFixture.Database;
import io.cachepipe.testing.TestServers;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** {@code cachepipe db ...} against a real PostgreSQL with pg_stat_statements preloaded. */
class DbCommandIT {

  private static Database db;

  @BeforeAll
  static void seed() throws Exception {
    db = TestServers.postgres().createDatabase("db_command_it");
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
      st.execute(
          "INSERT INTO users (name, email) SELECT 'u' || g, 'u' || g || '@x' FROM generate_series(1, 200) g");
      st.execute(
          "INSERT INTO posts (author_id, title, view_count, is_deleted) SELECT 1 + g % 200, 'p', g,"
              + " g % 20 = 0 FROM generate_series(1, 20000) g");
      st.execute("VACUUM ANALYZE posts");
      st.execute("CREATE TABLE t (id int PRIMARY KEY)");
      st.execute("INSERT INTO t SELECT generate_series(1, 100)");
    }
  }

  private static long count(String query) throws Exception {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(query)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void explainReportsTimesAndTheIndexTheStatsQueryUses() throws Exception {
    Result r =
        run(
            "db",
            "explain",
            "--json",
            "--pg-url",
            db.jdbcUrl(),
            "--pg-user",
            db.user(),
            "--pg-password",
            db.password(),
            "--param",
            "author_id=7",
            "SELECT count(*), coalesce(sum(view_count), 0) FROM posts"
                + " WHERE author_id = :author_id AND is_deleted = false");

    assertThat(r.exit).as(r.err).isZero();
    JsonNode plan = Json.mapper().readTree(r.out);
    assertThat(plan.get("execution_ms").asDouble()).isPositive();
    assertThat(plan.get("planning_ms").asDouble()).isPositive();
    assertThat(plan.get("rows").asLong()).isEqualTo(1);
    assertThat(plan.get("indexes").toString()).contains("posts_author_stats_idx");
  }

  @Test
  void explainOfBadSqlIsOneClearLineWithThePosition() {
    Result r =
        run(
            "db",
            "explain",
            "--pg-url",
            db.jdbcUrl(),
            "--pg-user",
            db.user(),
            "SELECT * FORM posts");

    assertThat(r.exit).isEqualTo(Main.FAILED);
    assertThat(r.err.strip().lines()).hasSize(1);
    assertThat(r.err).contains("syntax error at or near \"FORM\"").contains("at character 10");
  }

  /**
   * The measurement: {@code select 1; commit; delete from t} printed "Multiple ResultSets
   * were returned" and left t empty. Each text that is not exactly one statement that runs inside
   * the rolled-back transaction is refused before it reaches the database, and t keeps its rows.
   */
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "select 1; commit; delete from t | 3 statements",
        "delete from t; delete from t | 2 statements",
        "commit | COMMIT is transaction control",
        "rollback | ROLLBACK is transaction control",
        "savepoint s | SAVEPOINT is transaction control",
        "release savepoint s | RELEASE is transaction control",
        "begin | BEGIN is transaction control",
        "vacuum full t | cannot run inside a transaction",
        "create index concurrently t_explained_idx on t (id) | cannot run inside a transaction",
        "drop index concurrently t_pkey | cannot run inside a transaction",
        "reindex table concurrently t | cannot run inside a transaction",
        "create database explained_db | cannot run inside a transaction"
      })
  void explainRefusesTextThatWouldNotBeRolledBackAndTheDataIsUntouched(String sql, String why)
      throws Exception {
    Result r = run("db", "explain", "--pg-url", db.jdbcUrl(), "--pg-user", db.user(), sql);

    assertThat(r.exit).as(r.out).isEqualTo(Main.FAILED);
    assertThat(r.err.strip().lines()).hasSize(1);
    assertThat(r.err).startsWith("cachepipe: db explain refused: ").contains(why);
    assertThat(count("SELECT count(*) FROM t")).isEqualTo(100);
    assertThat(count("SELECT count(*) FROM pg_class WHERE relname = 't_explained_idx'")).isZero();
    assertThat(count("SELECT count(*) FROM pg_database WHERE datname = 'explained_db'")).isZero();
  }

  @Test
  void explainOfADeleteRunsItAndRollsItBack() throws Exception {
    Result r =
        run("db", "explain", "--pg-url", db.jdbcUrl(), "--pg-user", db.user(), "delete from t;");

    assertThat(r.exit).as(r.err).isZero();
    assertThat(r.out).contains("-> ModifyTable on t").contains("-> Seq Scan on t  rows=100");
    assertThat(count("SELECT count(*) FROM t")).isEqualTo(100);
  }

  @Test
  void indexUsageListsThePostsIndexesWithTheirSize() throws Exception {
    Result r =
        run(
            "db",
            "index-usage",
            "--json",
            "--table",
            "posts",
            "--pg-url",
            db.jdbcUrl(),
            "--pg-user",
            db.user());

    assertThat(r.exit).as(r.err).isZero();
    List<String> names = new ArrayList<>();
    Json.mapper()
        .readTree(r.out)
        .forEach(
            i -> {
              names.add(i.get("index").asText());
              assertThat(i.get("sizeBytes").asLong()).isPositive();
            });
    assertThat(names).contains("posts_pkey", "posts_author_stats_idx", "posts_tags_gin_idx");
  }

  @Test
  void indexUsageOfAnUnknownTableFails() {
    Result r =
        run(
            "db",
            "index-usage",
            "--table",
            "nosuch",
            "--pg-url",
            db.jdbcUrl(),
            "--pg-user",
            db.user());

    assertThat(r.exit).isEqualTo(Main.FAILED);
    assertThat(r.err).contains("table nosuch does not exist");
  }

  @Test
  void slowQueriesListsTheSlowStatement() throws Exception {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        Statement st = c.createStatement()) {
      st.execute("SELECT pg_sleep(0.15)");
    }
    Result r =
        run(
            "db",
            "slow-queries",
            "--json",
            "--min-mean-ms",
            "100",
            "--pg-url",
            db.jdbcUrl(),
            "--pg-user",
            db.user());

    assertThat(r.exit).as(r.err).isZero();
    List<JsonNode> slow = new ArrayList<>();
    Json.mapper().readTree(r.out).forEach(slow::add);
    assertThat(slow)
        .allSatisfy(s -> assertThat(s.get("meanMs").asDouble()).isGreaterThanOrEqualTo(100));
    assertThat(slow).anySatisfy(s -> assertThat(s.get("query").asText()).contains("pg_sleep"));
  }

  @Test
  void healthPassesOnAQuietDatabaseAndFailsWithAnImpossibleThreshold() throws Exception {
    Result ok =
        run(
            "db",
            "health",
            "--json",
            "--max-mean-ms",
            "100000",
            "--pg-url",
            db.jdbcUrl(),
            "--pg-user",
            db.user());
    assertThat(ok.exit).as(ok.err + ok.out).isZero();
    JsonNode report = Json.mapper().readTree(ok.out);
    assertThat(report.get("healthy").asBoolean()).isTrue();
    assertThat(report.get("checks")).hasSize(3);
    assertThat(report.get("connections").toString()).contains("active");

    Result failing =
        run(
            "db",
            "health",
            "--min-cache-hit",
            "1.01",
            "--pg-url",
            db.jdbcUrl(),
            "--pg-user",
            db.user());
    assertThat(failing.exit).isEqualTo(Main.FAILED);
    assertThat(failing.out).contains("FAILED   buffer cache hit ratio");
  }

  private record Result(int exit, String out, String err) {}

  private static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new Result(exit, out.toString(), err.toString());
  }
}
