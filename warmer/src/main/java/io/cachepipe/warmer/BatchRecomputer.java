package io.cachepipe.warmer;

import com.fasterxml.jackson.databind.JsonNode;
import io.cachepipe.client.CacheClient;
import io.cachepipe.client.TagVersions;
import io.cachepipe.core.warm.WarmableEntry;
import io.lettuce.core.RedisException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recomputes many entries of one kind with the kind's batch query, one query for all of them, and
 * fills each through the cache-client's fenced path, with the same rules as {@link
 * EntryRecomputer}'s one-by-one recompute: each entry's tag versions are read before the query that
 * loads its value, a fill dropped by a newer eviction is retried (in a smaller batch of the dropped
 * ones), and an entry is recomputed only by the warmer holding its warm lease; an entry whose lease
 * another instance holds is recomputed after the batch, one by one, waiting for that lease.
 * Thread-safe.
 */
final class BatchRecomputer {

  private static final Logger LOG = LoggerFactory.getLogger(BatchRecomputer.class);

  private final CacheClient cache;
  private final EntryRecomputer single;
  private final RateLimiter rate;

  /**
   * @param single the one-by-one recompute, whose connections, leases and counters a batch shares
   * @param rate one permit per query
   */
  BatchRecomputer(CacheClient cache, EntryRecomputer single, RateLimiter rate) {
    this.cache = cache;
    this.single = single;
    this.rate = rate;
  }

  /**
   * Recomputes the entries of {@code kind} in {@code entries} (each key to its key placeholders):
   * one alone by the kind's single query, several by its batch query.
   */
  void recompute(WarmableEntry kind, Map<String, Map<String, String>> entries) {
    rate.acquire();
    if (entries.size() == 1) {
      entries.forEach((key, params) -> single.recompute(kind, key, params));
      return;
    }
    long start = System.nanoTime();
    Map<String, String> leases = new LinkedHashMap<>();
    List<String> leasedElsewhere = new ArrayList<>();
    try {
      Map<String, Map<String, String>> mine = takeLeases(entries, leases, leasedElsewhere);
      fillWithRetries(kind, mine);
    } finally {
      leases.forEach(single.lease::release);
      single.recomputeNanos.add(System.nanoTime() - start);
      single.recomputes.add(entries.size() - leasedElsewhere.size());
    }
    for (String key : leasedElsewhere) {
      rate.acquire();
      single.recompute(kind, key, entries.get(key));
    }
  }

  /**
   * The entries whose warm lease this warmer took (into {@code leases}: key to token); those whose
   * lease another instance holds go to {@code elsewhere}. If Redis fails, the rest go on without a
   * lease, as a single recompute does: their fills will tell.
   */
  private Map<String, Map<String, String>> takeLeases(
      Map<String, Map<String, String>> entries,
      Map<String, String> leases,
      List<String> elsewhere) {
    Map<String, Map<String, String>> mine = new LinkedHashMap<>();
    boolean redisFailed = false;
    for (Map.Entry<String, Map<String, String>> entry : entries.entrySet()) {
      String key = entry.getKey();
      String token = null;
      if (!redisFailed) {
        try {
          token = single.lease.tryTake(key, EntryRecomputer.LEASE_TTL);
          if (token == null) {
            elsewhere.add(key);
            continue;
          }
          leases.put(key, token);
        } catch (RedisException e) {
          LOG.debug("warm leases of a batch not taken: {}", e.getMessage());
          redisFailed = true;
        }
      }
      mine.put(key, entry.getValue());
    }
    return mine;
  }

  private void fillWithRetries(WarmableEntry kind, Map<String, Map<String, String>> entries) {
    Map<String, Map<String, String>> due = entries;
    try {
      for (int attempt = 1; attempt <= EntryRecomputer.MAX_ATTEMPTS && !due.isEmpty(); attempt++) {
        due = fillOnce(kind, due);
      }
    } catch (SQLException | RuntimeException e) {
      if (single.timeouts.record(kind.name(), e)) {
        LOG.info(
            "skipped warming {} entries of {}: their batch query timed out ({})",
            due.size(),
            kind.name(),
            e.getMessage());
        return;
      }
      single.failed.add(due.size());
      LOG.warn(
          "recomputing {} entries of {} in one batch failed: {}",
          due.size(),
          kind.name(),
          e.getMessage());
      return;
    }
    if (!due.isEmpty()) {
      single.abandoned.add(due.size());
      LOG.info(
          "gave up warming {} entries of {}, e.g. {}: {} fills in a row were dropped by newer"
              + " evictions",
          due.size(),
          kind.name(),
          due.keySet().iterator().next(),
          EntryRecomputer.MAX_ATTEMPTS);
    }
  }

  /**
   * Reads every entry's versions, then runs the batch query once and fills each entry.
   *
   * @return the entries whose fill was dropped by a newer eviction
   */
  private Map<String, Map<String, String>> fillOnce(
      WarmableEntry kind, Map<String, Map<String, String>> entries) throws SQLException {
    // Versions first: a change committed while the query runs moves one, and that fill drops.
    Map<String, TagVersions> versions = new LinkedHashMap<>();
    List<String> batchKeys = new ArrayList<>(entries.size());
    entries.forEach(
        (key, params) -> {
          versions.put(key, cache.versions(kind.tagsFor(params)));
          batchKeys.add(kind.batchKey(params));
        });
    Map<String, JsonNode> values;
    try (Connection db = single.connection()) {
      values = kind.computeBatch(db, batchKeys);
    }
    single.timeouts.answered(kind.name());
    Map<String, Map<String, String>> dropped = new LinkedHashMap<>();
    int[] filled = {0};
    entries.forEach(
        (key, params) -> {
          JsonNode value = values.get(kind.batchKey(params));
          if (value == null) {
            return; // a row kind with no row has no value, as in a single recompute
          }
          if (cache.fill(key, versions.get(key), kind.ttl(), value)) {
            single.warmed.increment();
            filled[0]++;
          } else {
            dropped.put(key, params);
          }
        });
    LOG.debug("warmed {} of {} entries of {} in one query", filled[0], entries.size(), kind.name());
    return dropped;
  }
}
