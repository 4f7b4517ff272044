package io.cachepipe.auditor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.cachepipe.core.json.Json;
import io.cachepipe.core.warm.WarmableEntry;
import io.lettuce.core.RedisException;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiConsumer;
import java.util.random.RandomGenerator;

/**
 * Checks cached entries against PostgreSQL, the source of truth: the one thing cachepipe promises
 * is that no cached entry stays different from it.
 *
 * <p>Entries are found through the tag registries (see {@link TagRegistries}): an entry that was
 * filled under tags, as the cache-client and the warmer do, is found; one written with no tag is
 * not (nothing would ever evict it either). An entry whose key is of a warmable kind ({@code
 * cachepipe.warm.<name>.key}) is recomputed with that kind's query in its shape, a row or a list
 * ({@link WarmableEntry#compute}, the warmer's own, with the same mapping of columns to JSON), and
 * compared as JSON, semantically ({@link JsonValues}). A kind with a batch query is still audited
 * entry by entry with its single query: that query is the definition of an entry's value, and the
 * batch query must agree with it. Entries of other kinds are counted as unverifiable.
 *
 * <p>An entry found different is read and recomputed again after a grace period, and is stale only
 * if it still differs: the change that made it different may be a few milliseconds from being
 * evicted, and an invalidation in flight is not staleness.
 *
 * <p>Costs: Redis sees cursor calls (SCAN, ZSCAN) and one GET per entry; PostgreSQL one query per
 * checked entry, on one connection, in autocommit (each query sees the latest commits). {@link
 * #auditAll} holds the distinct keys in memory; {@link #auditSample} holds only its sample.
 */
public final class ConsistencyAuditor {

  /** The grace period of the audit command. */
  public static final Duration DEFAULT_GRACE = Duration.ofSeconds(1);

  /** Waits out the grace period; tests make the invalidation land meanwhile. */
  @FunctionalInterface
  interface GraceWait {
    void await(Duration grace) throws InterruptedException;
  }

  private final RedisClusterCommands<String, String> redis;
  private final CachedEntries entries;

  private final ConnectionSource database;
  private final List<WarmableEntry> kinds;
  private final GraceWait graceWait;

  /**
   * An auditor on a Redis connection of the caller's (it is not closed here).
   *
   * @param kinds the warmable entry kinds, {@link WarmableEntry#from} the configuration
   */
  public ConsistencyAuditor(
      RedisClusterCommands<String, String> redis,
      ConnectionSource database,
      List<WarmableEntry> kinds) {
    this(redis, database, kinds, grace -> Thread.sleep(grace.toMillis()));
  }

  ConsistencyAuditor(
      RedisClusterCommands<String, String> redis,
      ConnectionSource database,
      List<WarmableEntry> kinds,
      GraceWait graceWait) {
    this.redis = Objects.requireNonNull(redis, "redis");
    this.entries = new CachedEntries(redis);
    this.database = Objects.requireNonNull(database, "database");
    this.kinds = List.copyOf(kinds);
    this.graceWait = graceWait;
  }

  /**
   * Audits every entry registered under a tag, each once.
   *
   * @param grace how long to wait before checking again the entries found stale
   * @throws AuditException if Redis or PostgreSQL fails, or an entry's query does
   */
  public AuditResult auditAll(Duration grace) {
    Set<String> keys = new LinkedHashSet<>();
    walk((registry, key) -> keys.add(key));
    return audit(keys, grace);
  }

  /** {@link #auditSample(int, Duration, RandomGenerator)} with a thread-local random generator. */
  public AuditResult auditSample(int n, Duration grace) {
    return auditSample(n, grace, ThreadLocalRandom.current());
  }

  /**
   * Audits a random sample of at most {@code n} registered entries, for a continuous measure of the
   * fraction of entries that are consistent ({@link AuditResult#consistentFraction}). The walk
   * through the registries is the same as {@link #auditAll}'s, but only the sample is held in
   * memory and checked.
   *
   * <p>The sample is drawn uniformly from the (tag, entry) registrations, so an entry with k tags
   * is k times as likely to be drawn as one with a single tag (and is checked once if drawn twice):
   * remembering every entry seen, to draw each with the same chance, would take memory in
   * proportion to the cache.
   *
   * @throws AuditException if Redis or PostgreSQL fails, or an entry's query does
   */
  public AuditResult auditSample(int n, Duration grace, RandomGenerator random) {
    Reservoir<String> sample = new Reservoir<>(n, random);
    walk((registry, key) -> sample.offer(key));
    return audit(new LinkedHashSet<>(sample.items()), grace);
  }

  private void walk(BiConsumer<String, String> action) {
    try {
      TagRegistries.forEach(redis, action);
    } catch (RedisException e) {
      throw new AuditException("cannot walk the tag registries in Redis: " + e.getMessage(), e);
    }
  }

  private AuditResult audit(Collection<String> keys, Duration grace) {
    try (Connection db = connect()) {
      int checked = 0;
      int unverifiable = 0;
      List<Suspect> suspects = new ArrayList<>();
      for (String key : keys) {
        Optional<Match> match = match(key);
        if (match.isEmpty()) {
          if (entries.exists(key)) {
            unverifiable++;
          }
          continue;
        }
        Observation seen = observe(db, key, match.get());
        if (seen == null) {
          continue; // expired or evicted since the walk met it
        }
        checked++;
        if (!seen.consistent()) {
          suspects.add(new Suspect(key, match.get(), seen.cached()));
        }
      }
      List<StaleEntry> stale = new ArrayList<>();
      if (!suspects.isEmpty()) {
        awaitGrace(grace);
        for (Suspect suspect : suspects) {
          Observation again = observe(db, suspect.key(), suspect.match());
          // Stale for the whole grace period: the value cached then is still cached, and still
          // not PostgreSQL's. An entry evicted and filled again meanwhile (a write and its
          // invalidation in flight at either look) is not stale.
          if (again != null
              && !again.consistent()
              && JsonValues.same(suspect.cachedBefore(), again.cached())) {
            stale.add(staleEntry(suspect, again));
          }
        }
      }
      return new AuditResult(checked, unverifiable, stale);
    } catch (SQLException e) {
      // Closing the connection failed: the audit itself is complete, but report it all the same.
      throw new AuditException("PostgreSQL failed: " + e.getMessage(), e);
    }
  }

  private Connection connect() {
    Connection db;
    try {
      db = database.open();
    } catch (SQLException e) {
      throw new AuditException("cannot connect to PostgreSQL: " + e.getMessage(), e);
    }
    try {
      db.setReadOnly(true);
      db.setAutoCommit(true);
    } catch (SQLException e) {
      try {
        db.close();
      } catch (SQLException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw new AuditException("cannot set up the PostgreSQL connection: " + e.getMessage(), e);
    }
    return db;
  }

  /** The first warmable kind whose key template {@code key} matches, with its placeholders. */
  private Optional<Match> match(String key) {
    for (WarmableEntry kind : kinds) {
      Optional<Map<String, String>> params = kind.match(key);
      if (params.isPresent()) {
        return Optional.of(new Match(kind, params.get()));
      }
    }
    return Optional.empty();
  }

  /** The entry's cached and true values now, or null if it is no longer cached. */
  private Observation observe(Connection db, String key, Match match) {
    String text = entries.read(key);
    if (text == null) {
      return null;
    }
    JsonNode value;
    try {
      value = match.kind().compute(db, match.params());
    } catch (SQLException | RuntimeException e) {
      throw new AuditException(
          "cannot recompute "
              + key
              + " with the query of cachepipe.warm."
              + match.kind().name()
              + ": "
              + e.getMessage(),
          e);
    }
    JsonNode cached = parse(text);
    JsonNode truth = trueValue(key, value);
    return new Observation(cached, truth, JsonValues.same(cached, truth));
  }

  /**
   * {@code value} as the warmer writes it (the cache-client's JSON text), read back as a cached
   * value is: a {@code real} is compared as the digits written, not as the float they stand for.
   */
  private static JsonNode trueValue(String key, JsonNode value) {
    if (value == null) {
      return NullNode.getInstance();
    }
    try {
      return JsonValues.read(Json.mapper().writeValueAsString(value));
    } catch (JsonProcessingException e) {
      throw new AuditException("the true value of " + key + " is not JSON: " + e.getMessage(), e);
    }
  }

  /** A cached value as JSON; a value that is not JSON is kept as a string (and so differs). */
  private static JsonNode parse(String text) {
    try {
      JsonNode node = JsonValues.read(text);
      return node == null || node.isMissingNode() ? TextNode.valueOf(text) : node;
    } catch (JsonProcessingException e) {
      return TextNode.valueOf(text);
    }
  }

  private StaleEntry staleEntry(Suspect suspect, Observation seen) {
    long pttl = entries.pttl(suspect.key());
    long ttl = suspect.match().kind().ttl().toMillis();
    Long age = pttl >= 0 && pttl <= ttl ? ttl - pttl : null;
    return new StaleEntry(
        suspect.key(), suspect.match().kind().name(), seen.cached(), seen.trueValue(), age, pttl);
  }

  private void awaitGrace(Duration grace) {
    if (grace.isNegative() || grace.isZero()) {
      return;
    }
    try {
      graceWait.await(grace);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AuditException("interrupted during the grace period", e);
    }
  }

  private record Match(WarmableEntry kind, Map<String, String> params) {}

  private record Suspect(String key, Match match, JsonNode cachedBefore) {}

  private record Observation(JsonNode cached, JsonNode trueValue, boolean consistent) {}
}
