package io.cachepipe.sidecar.db;

import io.cachepipe.pgtools.DatabaseHealth;
import io.cachepipe.pgtools.ExplainableStatement;
import io.cachepipe.pgtools.Explainer;
import io.cachepipe.pgtools.IndexUsage;
import io.cachepipe.pgtools.QueryPlan;
import io.cachepipe.pgtools.SlowQueries;
import io.cachepipe.sidecar.Main;
import java.io.PrintWriter;
import java.sql.Connection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code cachepipe db}: the recipe's query tuning and monitoring tools. */
@Command(
    name = "db",
    mixinStandardHelpOptions = true,
    description =
        "Query tuning and database health, for the database in --pg-url or the configuration.",
    subcommands = {
      DbCommand.Explain.class,
      DbCommand.Slow.class,
      DbCommand.Indexes.class,
      DbCommand.Health.class
    })
public final class DbCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** A db subcommand: connects to the chosen database, runs, prints, returns the exit code. */
  abstract static class DatabaseCommand implements Callable<Integer> {
    @Mixin DatabaseOptions db;
    @Spec CommandSpec spec;

    @Override
    public final Integer call() throws Exception {
      checkArguments();
      try (Connection c = db.connect()) {
        return run(c, spec.commandLine().getOut());
      }
    }

    abstract int run(Connection c, PrintWriter out) throws Exception;

    /** Refuses arguments before anything reaches the database; none by default. */
    void checkArguments() {}
  }

  @Command(
      name = "explain",
      mixinStandardHelpOptions = true,
      description = {
        "EXPLAIN (ANALYZE, BUFFERS) of one statement: planning and execution time, cost, rows, and"
            + " each plan node with the index it uses.",
        "ANALYZE really executes the statement; it runs in a transaction that is always rolled"
            + " back, so an explained UPDATE or DELETE changes nothing (its locks and side effects"
            + " outside the database, such as sequences, still happen).",
        "Exactly one statement: several, transaction control (COMMIT, SAVEPOINT, ...) and"
            + " statements that cannot run in a transaction (VACUUM, CREATE INDEX CONCURRENTLY,"
            + " ...) are refused before anything is sent, exit 1."
      })
  static final class Explain extends DatabaseCommand {

    @Parameters(
        index = "0",
        paramLabel = "SQL",
        description = "The statement; :name marks a parameter.")
    String sql;

    @Option(
        names = "--param",
        paramLabel = "NAME=VALUE",
        description = "A parameter's value (repeatable).")
    Map<String, String> params = new LinkedHashMap<>();

    @Override
    void checkArguments() {
      ExplainableStatement.check(sql);
    }

    @Override
    int run(Connection c, PrintWriter out) throws Exception {
      QueryPlan plan = Explainer.explain(c, sql, params);
      if (db.json) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("planning_ms", plan.planningMs());
        doc.put("execution_ms", plan.executionMs());
        doc.put("total_cost", plan.totalCost());
        doc.put("rows", plan.rows());
        doc.put("indexes", plan.indexes());
        doc.put("nodes", plan.nodes());
        DatabaseOptions.printJson(out, doc);
      } else {
        out.printf(
            Locale.ROOT,
            "planning %.3f ms, execution %.3f ms, cost %.2f, rows %d%n",
            plan.planningMs(),
            plan.executionMs(),
            plan.totalCost(),
            plan.rows());
        for (QueryPlan.Node n : plan.nodes()) {
          out.printf(
              Locale.ROOT,
              "%s-> %s%s%s  rows=%d loops=%d time=%.3f ms buffers hit=%d read=%d%n",
              "  ".repeat(n.depth()),
              n.type(),
              n.relation() == null ? "" : " on " + n.relation(),
              n.index() == null ? "" : " using " + n.index(),
              n.rows(),
              n.loops(),
              n.totalMs(),
              n.sharedHitBlocks(),
              n.sharedReadBlocks());
        }
      }
      return 0;
    }
  }

  @Command(
      name = "slow-queries",
      mixinStandardHelpOptions = true,
      description = "The slowest statements by mean time, from pg_stat_statements.")
  static final class Slow extends DatabaseCommand {

    @Option(
        names = "--limit",
        defaultValue = "10",
        description = "How many (default ${DEFAULT-VALUE}).")
    int limit;

    @Option(
        names = "--min-mean-ms",
        defaultValue = "0",
        description = "Only statements at least this slow on average.")
    double minMeanMs;

    @Override
    int run(Connection c, PrintWriter out) throws Exception {
      List<SlowQueries.SlowStatement> slow = SlowQueries.top(c, limit, minMeanMs);
      if (db.json) {
        DatabaseOptions.printJson(out, slow);
      } else {
        out.printf("%10s %8s %10s  %s%n", "mean ms", "calls", "cache hit", "query");
        for (SlowQueries.SlowStatement s : slow) {
          out.printf(
              Locale.ROOT,
              "%10.2f %8d %10s  %s%n",
              s.meanMs(),
              s.calls(),
              s.cacheHitRatio() == null
                  ? "-"
                  : String.format(Locale.ROOT, "%.1f%%", s.cacheHitRatio() * 100),
              s.query().replaceAll("\\s+", " "));
        }
      }
      return 0;
    }
  }

  @Command(
      name = "index-usage",
      mixinStandardHelpOptions = true,
      description =
          "Scans per index; indexes never scanned (and enforcing no constraint) are flagged UNUSED with their size.")
  static final class Indexes extends DatabaseCommand {

    @Option(names = "--table", description = "Only this table's indexes.")
    String table;

    @Override
    int run(Connection c, PrintWriter out) throws Exception {
      List<IndexUsage.Index> indexes = IndexUsage.of(c, table);
      if (db.json) {
        DatabaseOptions.printJson(out, indexes);
      } else {
        out.printf("%-24s %-40s %10s %10s%n", "table", "index", "scans", "size");
        for (IndexUsage.Index i : indexes) {
          out.printf(
              Locale.ROOT,
              "%-24s %-40s %10d %10s%s%n",
              i.table(),
              i.index(),
              i.scans(),
              i.sizeBytes() / 1024 + " kB",
              i.unused() ? "  UNUSED" : "");
        }
      }
      return 0;
    }
  }

  @Command(
      name = "health",
      mixinStandardHelpOptions = true,
      description = {
        "Buffer cache hit ratio, slowest mean statement time and connection use against the"
            + " recipe's thresholds, and connections by state.",
        "Exits 1 when a check fails; a check that cannot be measured is UNKNOWN and does not fail."
      })
  static final class Health extends DatabaseCommand {

    @Option(
        names = "--min-cache-hit",
        defaultValue = "0.90",
        description = "Default ${DEFAULT-VALUE}.")
    double minCacheHit;

    @Option(
        names = "--max-mean-ms",
        defaultValue = "100",
        description = "Default ${DEFAULT-VALUE}.")
    double maxMeanMs;

    @Option(
        names = "--max-connection-use",
        defaultValue = "0.80",
        description = "Default ${DEFAULT-VALUE}.")
    double maxConnectionUse;

    @Override
    int run(Connection c, PrintWriter out) throws Exception {
      DatabaseHealth.Report report =
          DatabaseHealth.check(
              c, new DatabaseHealth.Thresholds(minCacheHit, maxMeanMs, maxConnectionUse));
      if (db.json) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("healthy", report.healthy());
        doc.put("checks", report.checks());
        doc.put("connections", report.connections());
        DatabaseOptions.printJson(out, doc);
      } else {
        for (DatabaseHealth.Check check : report.checks()) {
          out.printf(
              Locale.ROOT,
              "%-8s %-38s %12s  (healthy %s)  %s%n",
              check.status(),
              check.name(),
              Double.isNaN(check.value()) ? "-" : String.format(Locale.ROOT, "%.4f", check.value()),
              check.rule(),
              check.detail());
        }
        out.println("connections:");
        for (DatabaseHealth.ConnectionState s : report.connections()) {
          out.printf(
              Locale.ROOT,
              "  %-28s %5d  average age %.0f s%n",
              s.state(),
              s.count(),
              s.averageAgeSeconds());
        }
      }
      return report.healthy() ? 0 : Main.FAILED;
    }
  }
}
