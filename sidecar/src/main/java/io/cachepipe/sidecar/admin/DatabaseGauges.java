package io.cachepipe.sidecar.admin;

import io.cachepipe.core.config.ConfigField;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.pgtools.DatabaseHealth;
import io.cachepipe.pgtools.IndexUsage;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The figures of {@code cachepipe db health} and {@code db index-usage} as gauges, refreshed on an
 * interval (never per scrape): the buffer cache hit ratio, the slowest statement's mean time and
 * the connection use, each with the recipe's threshold and whether it holds; connections by state
 * with their mean age; scans per index and which indexes are unused.
 */
final class DatabaseGauges {

  static final ConfigField<Duration> INTERVAL =
      ConfigField.millis(
          "cachepipe.admin.database.interval.ms",
          15_000,
          0,
          "How often the database's health figures (cache hit ratio, slowest statement, connection"
              + " use, connections by state, index usage) are refreshed as metrics; 0 = never.");

  private static final Logger LOG = LoggerFactory.getLogger(DatabaseGauges.class);

  private final Connections connections;
  private final MeterRegistry registry;
  private final Map<Tags, AtomicDouble> values = new ConcurrentHashMap<>();
  private final Map<Tags, Gauge> gauges = new ConcurrentHashMap<>();
  private final Set<Tags> refreshed = new HashSet<>();
  private final AtomicLong failures = new AtomicLong();

  /** A double a gauge reads; NaN until measured. */
  private static final class AtomicDouble {
    private volatile double value = Double.NaN;
  }

  DatabaseGauges(Settings settings, MeterRegistry registry) {
    this.connections = Connections.from(settings);
    this.registry = registry;
    Gauge.builder("cachepipe.db.probe.failures", failures, AtomicLong::get)
        .description("Refreshes of the database figures that failed")
        .register(registry);
  }

  /**
   * Queries the database once and updates every gauge; those of what is gone (a dropped index, a
   * connection state no connection is in now) are removed. Never throws.
   */
  void refresh() {
    refreshed.clear();
    try (Connection db =
        DriverManager.getConnection(
            connections.postgresUrl(),
            connections.postgresUser(),
            connections.postgresPassword())) {
      db.setReadOnly(true);
      DatabaseHealth.Report report = DatabaseHealth.check(db, DatabaseHealth.Thresholds.RECIPE);
      for (DatabaseHealth.Check check : report.checks()) {
        Tags tags = Tags.of("check", check.name());
        set("cachepipe.db.check.value", tags, check.value(), "A health check's measured value");
        set("cachepipe.db.check.limit", tags, check.limit(), "The recipe's threshold for it");
        set(
            "cachepipe.db.check.ok",
            tags,
            switch (check.status()) {
              case OK -> 1;
              case FAILED -> 0;
              case UNKNOWN -> Double.NaN;
            },
            "1 when the check holds, 0 when it fails, NaN when it cannot be measured");
      }
      for (DatabaseHealth.ConnectionState state : report.connections()) {
        Tags tags = Tags.of("state", state.state());
        set(
            "cachepipe.db.connections",
            tags,
            state.count(),
            "Connections to the database by state");
        set(
            "cachepipe.db.connection.age.seconds",
            tags,
            state.averageAgeSeconds(),
            "Mean age of the connections of a state");
      }
      List<IndexUsage.Index> indexes = IndexUsage.of(db, null);
      for (IndexUsage.Index index : indexes) {
        Tags tags = Tags.of("table", index.table(), "index", index.index());
        set("cachepipe.db.index.scans", tags, index.scans(), "Scans of an index since stats reset");
        set("cachepipe.db.index.size.bytes", tags, index.sizeBytes(), "Size of an index");
        set(
            "cachepipe.db.index.unused",
            tags,
            index.unused() ? 1 : 0,
            "1 for an index never scanned that enforces no constraint: a candidate to drop");
      }
    } catch (SQLException | RuntimeException e) {
      failures.incrementAndGet();
      LOG.warn("refreshing the database figures failed: {}", e.getMessage());
      return;
    }
    for (Tags gone : new ArrayList<>(values.keySet())) {
      if (!refreshed.contains(gone)) {
        values.remove(gone);
        registry.remove(gauges.remove(gone));
      }
    }
  }

  private void set(String name, Tags tags, double value, String description) {
    Tags key = tags.and("meter", name);
    refreshed.add(key);
    values.computeIfAbsent(
                key,
                k -> {
                  AtomicDouble holder = new AtomicDouble();
                  gauges.put(
                      k,
                      Gauge.builder(name, holder, h -> h.value)
                          .tags(tags)
                          .description(description)
                          .register(registry));
                  return holder;
                })
            .value =
        value;
  }
}
