package io.cachepipe.cdc;

import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Secrets;
import io.cachepipe.core.tag.TagRules;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tables a capture watches, and its wait for those that do not exist yet: a sidecar may start
 * before the application's migrations made them (a compose stack's first start), and then waits,
 * not ready, instead of failing.
 */
final class WatchedTables {

  private static final Logger LOG = LoggerFactory.getLogger(WatchedTables.class);

  /** How often the capture looks again for watched tables that do not exist yet. */
  static final Duration TABLES_POLL = Duration.ofSeconds(2);

  private WatchedTables() {}

  /**
   * {@code cachepipe.cdc.tables}, schema-qualified, or else the tables the tag rules read.
   *
   * @throws CdcException if there is none
   */
  static List<String> of(CdcConfig config, TagRules rules) {
    List<String> tables =
        config.tables().isEmpty()
            ? List.copyOf(rules.tables())
            : config.tables().stream().map(TagRules::qualify).toList();
    if (tables.isEmpty()) {
      throw new CdcException("no table to watch: configure tag rules or cachepipe.cdc.tables");
    }
    return tables;
  }

  /**
   * Checks the database for capture if every table exists and returns true; else checks only the
   * server, says which tables it waits for and returns false.
   *
   * @throws CdcException if the database is not fit for capture
   */
  static boolean checkNow(
      Connections connections, CdcConfig config, List<String> tables, TagRules rules) {
    List<String> missing = DatabasePreflight.missingTables(connections, tables);
    if (missing.isEmpty()) {
      DatabasePreflight.run(connections, config, tables, rules);
      return true;
    }
    DatabasePreflight.checkServer(connections);
    LOG.warn(
        "watched table(s) {} do not exist yet in {}: waiting for them (looking every {} s);"
            + " the cdc stage is not ready until they exist",
        missing,
        Secrets.maskCredentials(connections.postgresUrl()),
        TABLES_POLL.toSeconds());
    return false;
  }

  /**
   * Returns once every table exists.
   *
   * @throws InterruptedException when {@code closed} counts down first
   */
  static void await(Connections connections, List<String> tables, CountDownLatch closed)
      throws InterruptedException {
    while (true) {
      if (closed.await(TABLES_POLL.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new InterruptedException("closed");
      }
      try {
        if (DatabasePreflight.missingTables(connections, tables).isEmpty()) {
          LOG.info("watched tables {} exist now: starting capture", tables);
          return;
        }
      } catch (CdcException e) {
        LOG.warn("{}; trying again", e.getMessage());
      }
    }
  }
}
