package io.cachepipe.warmer;

import com.fasterxml.jackson.databind.JsonNode;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.cachepipe.client.CacheClient;
import io.cachepipe.client.TagVersions;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.warm.WarmableEntry;
import io.lettuce.core.RedisException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recomputes one warmable entry from PostgreSQL and fills it through the cache-client's fenced
 * path. Thread-safe: the warmer runs several at once, at most one per key.
 */
final class EntryRecomputer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EntryRecomputer.class);

  /**
   * How long a warm lease lasts: far longer than a recompute (queries of milliseconds), so it only
   * runs out if its holder died.
   */
  static final Duration LEASE_TTL = Duration.ofSeconds(5);

  private static final long LEASE_POLL_NANOS = 2_000_000;
  private static final long SOCKET_MARGIN_SECONDS = 5;

  /** Tries of one recompute whose fills keep being dropped by newer evictions. */
  static final int MAX_ATTEMPTS = 3;

  private final CacheClient cache;
  final WarmLease lease;
  private final HikariDataSource database;
  final LongAdder warmed = new LongAdder();
  final LongAdder failed = new LongAdder();
  final LongAdder abandoned = new LongAdder();
  final LongAdder recomputes = new LongAdder();
  final LongAdder recomputeNanos = new LongAdder();
  final LongAdder leaseWaits = new LongAdder();
  final QueryTimeouts timeouts = new QueryTimeouts(System::nanoTime);
  private final boolean leased;

  EntryRecomputer(
      CacheClient cache, Connections connections, int poolSize, Duration statementTimeout) {
    this(cache, connections, poolSize, statementTimeout, true);
  }

  /**
   * With {@code leased} false, recomputes do not take the warm lease: only for the test that shows
   * what the lease prevents.
   */
  EntryRecomputer(
      CacheClient cache,
      Connections connections,
      int poolSize,
      Duration statementTimeout,
      boolean leased) {
    this.leased = leased;
    this.cache = cache;
    this.lease = new WarmLease(connections);
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(connections.postgresUrl());
    config.setUsername(connections.postgresUser());
    config.setPassword(connections.postgresPassword());
    config.setMaximumPoolSize(poolSize);
    config.setPoolName("cachepipe-warmer");
    config.setReadOnly(true);
    // Every warm query is bounded: PostgreSQL cancels it after the timeout, and a connection that
    // stops answering altogether (a network hang) times out on its socket a little later.
    config.setConnectionInitSql("SET statement_timeout = " + statementTimeout.toMillis());
    config.addDataSourceProperty(
        "socketTimeout", Long.toString(statementTimeout.toSeconds() + SOCKET_MARGIN_SECONDS));
    this.database = new HikariDataSource(config);
  }

  /**
   * Recomputes {@code key}, an entry of {@code entry}'s kind whose key placeholders are {@code
   * params}. A fill dropped because another eviction of its tags came meanwhile is retried: the
   * entry was hot, and the eviction that dropped it found it already gone, so nothing else would
   * warm it. Fences make each try safe; the bound keeps a write storm from looping.
   */
  void recompute(WarmableEntry entry, String key, Map<String, String> params) {
    long start = System.nanoTime();
    String token = null;
    try {
      token = leased ? awaitLease(key) : null;
      recomputeWithRetries(entry, key, params);
    } finally {
      if (token != null) {
        lease.release(key, token);
      }
      recomputeNanos.add(System.nanoTime() - start);
      recomputes.increment();
    }
  }

  /**
   * Waits until this recompute holds the entry's warm lease: an entry with several tags can be
   * reported evicted in two partitions, owned by two warmer instances, and only one of them may
   * recompute it at a time. The one that waited recomputes after the other, as a follow-up (the
   * other may have read its inputs before the eviction this one answers). If Redis fails, the
   * recompute goes on without the lease (its fill will tell); if the lease does not come within
   * {@link #LEASE_TTL} (its holder died holding it: it expires), it is taken then.
   *
   * @return the lease's token, or null without one
   */
  private String awaitLease(String key) {
    long deadline = System.nanoTime() + LEASE_TTL.toNanos();
    boolean waited = false;
    try {
      while (true) {
        String token = lease.tryTake(key, LEASE_TTL);
        if (token != null || System.nanoTime() > deadline) {
          return token;
        }
        if (!waited) {
          waited = true;
          leaseWaits.increment();
        }
        LockSupport.parkNanos(LEASE_POLL_NANOS);
      }
    } catch (RedisException e) {
      LOG.debug("warm lease of {} not taken: {}", key, e.getMessage());
      return null;
    }
  }

  private void recomputeWithRetries(WarmableEntry entry, String key, Map<String, String> params) {
    try {
      for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        // Versions first: a change committed while the query runs moves one, and the fill drops.
        TagVersions versions = cache.versions(entry.tagsFor(params));
        JsonNode value = query(entry, params);
        if (value == null) {
          return;
        }
        if (cache.fill(key, versions, entry.ttl(), value)) {
          warmed.increment();
          LOG.debug("warmed {} (attempt {})", key, attempt);
          return;
        }
        LOG.debug("fill of {} dropped: a tag moved past {}", key, versions.versions());
      }
      abandoned.increment();
      LOG.info(
          "gave up warming {}: {} fills in a row were dropped by newer evictions",
          key,
          MAX_ATTEMPTS);
    } catch (SQLException | RuntimeException e) {
      if (timeouts.record(entry.name(), e)) {
        LOG.info("skipped warming {}: its query timed out ({})", key, e.getMessage());
        return;
      }
      failed.increment();
      LOG.warn("recomputing {} failed: {}", key, e.getMessage());
    }
  }

  /** The entry's value now (see {@link WarmableEntry#compute}), or null if it has none. */
  private JsonNode query(WarmableEntry entry, Map<String, String> params) throws SQLException {
    try (Connection db = database.getConnection()) {
      JsonNode value = entry.compute(db, params);
      timeouts.answered(entry.name());
      return value;
    }
  }

  /** A connection of the warmer's pool, for a {@link BatchRecomputer}'s query. */
  Connection connection() throws SQLException {
    return database.getConnection();
  }

  @Override
  public void close() {
    database.close();
    lease.close();
  }
}
