package io.cachepipe.sidecar.fault;

import static org.awaitility.Awaitility.await;

import io.cachepipe.auditor.AuditResult;
import io.cachepipe.client.CacheClient;
import io.cachepipe.core.json.Json;
import io.cachepipe.core.redis.CacheKeys;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.LongStream;
import org.awaitility.core.ConditionTimeoutException;

/**
 * One fault under load, from the steady state before it to the audit after it.
 *
 * <ol>
 *   <li>{@link #begin()}: the scenario's authors exist, the write load and two readers run (the
 *       readers cache each author's stats through the fenced cache-client), and changes are being
 *       evicted.
 *   <li>{@link #faultStarts()}: every author's stats are cached right before the fault, so that the
 *       writes during and after it have live entries to invalidate.
 *   <li>{@link #faultEnded()} and {@link #awaitRecovery()}: the time from the end of the fault
 *       until every write committed by then has been evicted.
 *   <li>{@link #finish}: the load goes on a little longer, stops, the pipeline drains, and the
 *       figures are taken: writes without an eviction (lost), evictions of a change applied twice
 *       (duplicates), and stale entries (the auditor over every registered entry, and the entries
 *       cached before the fault, which must be gone or equal to PostgreSQL).
 * </ol>
 */
final class FaultScenario implements AutoCloseable {

  static final int AUTHORS = 8;
  static final double WRITES_PER_SECOND = 100;
  private static final double READS_PER_SECOND = 40;
  private static final Duration TTL = Duration.ofMinutes(5);
  private static final String STATS =
      "SELECT count(*) AS post_count, coalesce(sum(view_count), 0) AS total_views FROM posts"
          + " WHERE author_id = ? AND is_deleted = false";

  final String fault;
  final FaultSuite suite;
  final List<Long> authors;
  final WriteLoad load;
  private final List<Thread> readers = new ArrayList<>();
  private final AtomicBoolean reading = new AtomicBoolean(true);
  private final LongAdder readFailures = new LongAdder();
  private final Map<String, Map<String, Long>> watched = new LinkedHashMap<>();
  private final List<String> extraTags = new ArrayList<>();
  private long faultStartNanos;
  private long faultEndNanos;
  private long recoveryMillis = -1;
  private long flushedBeforeNanos = Long.MIN_VALUE;

  /**
   * @param index distinguishes the scenario's authors and post ids from every other scenario's
   */
  FaultScenario(FaultSuite suite, String fault, int index) {
    this.suite = suite;
    this.fault = fault;
    this.authors = LongStream.rangeClosed(1, AUTHORS).map(a -> index * 100L + a).boxed().toList();
    this.load =
        new WriteLoad(
            suite.servers.jdbcUrl,
            suite.servers.user(),
            suite.servers.password(),
            authors,
            index * 10_000_000L + 1,
            WRITES_PER_SECOND);
  }

  /** Creates the authors, starts the load and the readers, and waits for evictions to flow. */
  void begin() throws Exception {
    suite.ensureSidecarRuns();
    sql(
        "INSERT INTO users (id, name, email) SELECT g, 'fault ' || g, 'fault' || g || '@x'"
            + " FROM unnest(ARRAY"
            + authors
            + "::bigint[]) g");
    load.start();
    for (int r = 0; r < 2; r++) {
      SplittableRandom random = new SplittableRandom(r);
      Thread reader = new Thread(() -> read(random), "fault-reader-" + r);
      reader.setDaemon(true);
      reader.start();
      readers.add(reader);
    }
    await("writes of " + fault + " are evicted")
        .atMost(Duration.ofSeconds(120))
        .until(() -> evictedCount(load.committed()) >= 100);
  }

  private void read(SplittableRandom random) {
    long interval = (long) (1e9 / (READS_PER_SECOND / 2));
    while (reading.get()) {
      try {
        readStats(authors.get(random.nextInt(authors.size())));
      } catch (RuntimeException e) {
        readFailures.increment(); // the database may be down: that is the fault
      }
      LockSupport.parkNanos(interval); // pacing
    }
  }

  /** An author's stats through the cache, as the application reads them. */
  Map<String, Object> readStats(long author) {
    return readStats(suite.cache, author);
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> readStats(CacheClient cache, long author) {
    return cache.get(key(author), List.of("user:" + author), TTL, () -> statsOf(author), Map.class);
  }

  static String key(long author) {
    return CacheKeys.entry("user_stats", author);
  }

  /** Caches every author's stats now, and marks the start of the fault. */
  void faultStarts() {
    cacheEveryAuthor(suite.cache);
    faultStartNanos = System.nanoTime();
  }

  /**
   * Reads every author's stats through the cache, filling those not cached, and remembers the
   * entries that are cached now: each must be gone or equal to PostgreSQL once the pipeline
   * drained.
   *
   * @param cache the client that reads (and fills)
   * @return how many of the authors' entries are cached now
   */
  int cacheEveryAuthor(CacheClient cache) {
    int cached = 0;
    for (long author : authors) {
      readStats(cache, author);
      String json = suite.redis.get(key(author));
      if (json != null) {
        watched.put(key(author), parse(json));
        cached++;
      }
    }
    return cached;
  }

  /** Marks the end of the fault: the server is back, the process restarted, the bad input sent. */
  void faultEnded() {
    faultEndNanos = System.nanoTime();
  }

  /** Milliseconds from the end of the fault until now. */
  long millisSinceFaultEnded() {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - faultEndNanos);
  }

  long faultMillis() {
    return TimeUnit.NANOSECONDS.toMillis(faultEndNanos - faultStartNanos);
  }

  /**
   * Waits until the pipeline has recovered: every write committed before the fault ended has been
   * evicted, and so has a write committed after it (the stages flow again, not only the backlog).
   * Returns how long that took from the end of the fault.
   */
  long awaitRecovery(Duration timeout) {
    List<String> tags = mustBeEvicted(load.committedBefore(faultEndNanos));
    tags.addAll(extraTags);
    await("the writes committed up to the end of " + fault + " are evicted, and a later one")
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                suite.evictions().notEvicted(tags).isEmpty()
                    && load.committed().stream()
                        .anyMatch(
                            w ->
                                w.committedNanos() > faultEndNanos
                                    && suite.evictions().evicted(w.tag())));
    recoveryMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - faultEndNanos);
    return recoveryMillis;
  }

  /**
   * Declares that the whole cache was flushed at {@code nanos} because changes were missed (the
   * replication slot was lost): writes committed before it need no eviction of their own (the flush
   * covered them; the audit checks that nothing stale is left), those after it do.
   */
  void flushedAt(long nanos) {
    flushedBeforeNanos = nanos;
  }

  /**
   * The tags of {@code writes} that must each be evicted: those after a flush, if there was one.
   */
  private List<String> mustBeEvicted(List<WriteLoad.Write> writes) {
    return new ArrayList<>(
        writes.stream()
            .filter(w -> w.committedNanos() >= flushedBeforeNanos)
            .map(WriteLoad.Write::tag)
            .toList());
  }

  /** Writes committed before the flush whose own eviction never came: the flush covered them. */
  long coveredByFlush() {
    return load.committed().stream()
        .filter(w -> w.committedNanos() < flushedBeforeNanos)
        .filter(w -> !suite.evictions().evicted(w.tag()))
        .count();
  }

  /** Tags that must be evicted besides the load's, e.g. the rows of one big transaction. */
  void expectEvicted(Collection<String> tags) {
    extraTags.addAll(tags);
  }

  /** Lets the load run on until 100 more writes are evicted, stops it, drains, and audits. */
  FaultResult finish(String action, Map<String, Object> extra) throws Exception {
    int before = load.committed().size();
    try {
      await("writes after " + fault + " are evicted")
          .atMost(Duration.ofSeconds(120))
          .until(
              () -> {
                List<WriteLoad.Write> all = load.committed();
                return all.size() >= before + 100
                    && evictedCount(all.subList(before, all.size())) >= 100;
              });
    } finally {
      load.close();
      reading.set(false);
      for (Thread reader : readers) {
        reader.join(30_000);
      }
    }
    List<String> tags = mustBeEvicted(load.committed());
    tags.addAll(extraTags);
    try {
      await("every committed write of " + fault + " is evicted")
          .atMost(Duration.ofSeconds(180))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> suite.evictions().notEvicted(tags).isEmpty());
    } catch (ConditionTimeoutException e) {
      // Counted as lost below.
    }
    long lost = suite.evictions().notEvicted(tags).size();
    suite.awaitNoLag(Duration.ofSeconds(180));
    AuditResult audit = suite.audit();
    List<String> staleWatched = staleAmongWatched();
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("fault_ms", faultMillis());
    figures.put("committed_per_s", Math.round(load.committedPerSecond() * 10) / 10.0);
    figures.put("write_failures", load.failures());
    figures.put("read_failures", readFailures.sum());
    figures.put("audited_entries", audit.checked());
    figures.put("watched_entries", watched.size());
    figures.put("stale_watched_entries", staleWatched.size());
    figures.put("evictions_skipped", suite.evictions().skipped(tags));
    figures.putAll(extra);
    FaultResult result =
        new FaultResult(
            fault,
            action,
            load.targetPerSecond(),
            load.committed().size() + extraTags.size(),
            lost,
            suite.evictions().duplicates(tags),
            recoveryMillis,
            staleKeys(audit, staleWatched),
            figures);
    result.print();
    if (audit.stale() > 0 || !staleWatched.isEmpty()) {
      System.out.println(fault + ": stale " + audit.staleEntries() + " " + staleWatched);
    }
    return result;
  }

  /** Distinct keys found stale by the auditor or among the watched entries. */
  private static long staleKeys(AuditResult audit, List<String> staleWatched) {
    java.util.Set<String> keys = new java.util.HashSet<>();
    audit.staleEntries().forEach(e -> keys.add(e.key()));
    staleWatched.forEach(line -> keys.add(line.substring(0, line.indexOf(' '))));
    return keys.size();
  }

  /** The watched entries (see {@link #cacheEveryAuthor}) still cached and unlike PostgreSQL. */
  List<String> staleAmongWatched() throws SQLException {
    List<String> stale = new ArrayList<>();
    for (String key : watched.keySet()) {
      String json = suite.redis.get(key);
      if (json == null) {
        continue; // evicted, not refilled
      }
      long author = Long.parseLong(key.substring(key.lastIndexOf(':') + 1));
      Map<String, Long> now = parse(json);
      Map<String, Long> truth = statsOf(author);
      if (!now.equals(truth)) {
        stale.add(key + " cached " + now + ", database " + truth);
      }
    }
    return stale;
  }

  private long evictedCount(List<WriteLoad.Write> writes) {
    return writes.stream().filter(w -> suite.evictions().evicted(w.tag())).count();
  }

  Map<String, Long> statsOf(long author) throws SQLException {
    try (Connection c = suite.database.getConnection();
        PreparedStatement st = c.prepareStatement(STATS)) {
      st.setLong(1, author);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        Map<String, Long> stats = new LinkedHashMap<>();
        stats.put("post_count", rs.getLong(1));
        stats.put("total_views", rs.getLong(2));
        return stats;
      }
    }
  }

  private static Map<String, Long> parse(String json) {
    try {
      Map<?, ?> value = Json.mapper().readValue(json, Map.class);
      Map<String, Long> stats = new LinkedHashMap<>();
      stats.put("post_count", Long.parseLong(String.valueOf(value.get("post_count"))));
      stats.put("total_views", Long.parseLong(String.valueOf(value.get("total_views"))));
      return stats;
    } catch (Exception e) {
      throw new IllegalStateException("cached stats are not readable: " + json, e);
    }
  }

  void sql(String statement) throws SQLException {
    try (Connection c = suite.database.getConnection();
        Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }

  @Override
  public void close() {
    load.close();
    reading.set(false);
  }
}
