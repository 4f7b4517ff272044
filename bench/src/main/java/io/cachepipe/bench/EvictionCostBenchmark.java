package io.cachepipe.bench;

import io.cachepipe.core.concurrent.DaemonThreads;
import io.cachepipe.core.json.Json;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.redis.evict.RedisTagEvictor;
import io.cachepipe.servers.LocalRedis;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cachepipe bench eviction-cost}: the cost of invalidating one author's entries as the
 * keyspace grows, for cachepipe's tag eviction (one Lua call over the tag's registry) and for the
 * original recipe's {@code KEYS pattern} + {@code DEL} and its {@code SCAN}-based variant, with the
 * latency a concurrent reader sees while each runs; then the eviction of one huge tag ({@link
 * HugeTagEviction}) and a probe reader's latency during it.
 */
@Command(
    name = "eviction-cost",
    mixinStandardHelpOptions = true,
    description = {
      "Eviction cost vs keyspace: for each --keys size, Redis holds that many cached entries"
          + " (cp:<kind>:<author>, 10 per author, each registered under its author's tag); one"
          + " author's entries are invalidated --repeat times by cachepipe's tag eviction, by the"
          + " recipe's KEYS + DEL and by SCAN + DEL, while a reader does GETs. Reports each"
          + " method's time and the reader's p99/max during it. Then one tag with --huge-tag"
          + " entries is evicted while a probe reader GETs: the eviction's time and the probe's"
          + " p99/max."
    })
public final class EvictionCostBenchmark implements Callable<Integer> {

  private static final int ENTRIES_PER_AUTHOR = 10;

  @Option(
      names = "--keys",
      split = ",",
      defaultValue = "10000,100000,1000000",
      description = "Keyspace sizes (default ${DEFAULT-VALUE}).")
  List<Integer> sizes;

  @Option(
      names = "--repeat",
      defaultValue = "20",
      description = "Invalidations per method and size (default ${DEFAULT-VALUE}).")
  int repeat;

  @Option(
      names = "--huge-tag",
      defaultValue = "1000000",
      description =
          "Entries registered under the one huge tag evicted last; 0 skips it (default"
              + " ${DEFAULT-VALUE}).")
  int hugeTag;

  @Option(
      names = "--redis",
      paramLabel = "URL",
      description =
          "Use this Redis instead of a redis-server child. It is FLUSHED: never a real one.")
  String redisUri;

  @Option(names = "--json", description = "End with one JSON object of the figures.")
  boolean json;

  @Option(names = "--svg", paramLabel = "FILE", description = "Plot cost vs keyspace to this SVG.")
  Path svg;

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    List<Map<String, Object>> rows = new ArrayList<>();
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("scenario", "eviction-cost");
    try (LocalRedis local = redisUri == null ? LocalRedis.start() : null) {
      String uri = redisUri != null ? redisUri : local.uri();
      out.println("Redis       " + uri);
      RedisClient client = RedisClient.create(uri);
      try (StatefulRedisConnection<String, String> admin = client.connect();
          StatefulRedisConnection<String, String> readerConnection = client.connect();
          StatefulRedisConnection<String, String> evictorConnection = client.connect()) {
        RedisCommands<String, String> redis = admin.sync();
        // The invalidator's own eviction step, on a connection of its own as in the stage.
        RedisTagEvictor evictor =
            new RedisTagEvictor(evictorConnection, Duration.ofDays(1), Duration.ofSeconds(1));
        AtomicLong position = new AtomicLong();
        for (int size : sizes) {
          int authors = Math.max(1, size / ENTRIES_PER_AUTHOR);
          out.printf("== %,d keys (%,d authors): loading …%n", size, authors);
          load(admin, authors);
          long author = authors / 2 + 42;
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("keys", redis.dbsize());
          row.put(
              "tag_eviction",
              measure(
                  readerConnection,
                  authors,
                  () -> {
                    refill(redis, author);
                    long start = System.nanoTime();
                    evictor.evict(Map.of("user:" + author, position.incrementAndGet()));
                    return System.nanoTime() - start;
                  }));
          row.put(
              "keys_pattern_del",
              measure(
                  readerConnection,
                  authors,
                  () -> {
                    refill(redis, author);
                    long start = System.nanoTime();
                    // The recipe: KEYS over the whole keyspace, then DEL what matched. Its pattern
                    // over-matches (42 matches 142, 420, ...): counted below, as the recipe did.
                    List<String> matched = redis.keys("cp:*:" + author + "*");
                    if (!matched.isEmpty()) {
                      redis.del(matched.toArray(String[]::new));
                    }
                    return System.nanoTime() - start;
                  }));
          row.put(
              "scan_del",
              measure(
                  readerConnection,
                  authors,
                  () -> {
                    refill(redis, author);
                    long start = System.nanoTime();
                    ScanCursor cursor = ScanCursor.INITIAL;
                    do {
                      KeyScanCursor<String> page =
                          redis.scan(
                              cursor, ScanArgs.Builder.matches("cp:*:" + author + "*").limit(1000));
                      if (!page.getKeys().isEmpty()) {
                        redis.del(page.getKeys().toArray(String[]::new));
                      }
                      cursor = page;
                    } while (!cursor.isFinished());
                    return System.nanoTime() - start;
                  }));
          out.println("result: " + row);
          rows.add(row);
        }
        if (hugeTag > 0) {
          out.printf("== one tag with %,d entries: loading, then evicting …%n", hugeTag);
          Map<String, Object> huge =
              HugeTagEviction.measure(redis, readerConnection, evictor, hugeTag);
          out.println("result: " + huge);
          summary.put("huge_tag", huge);
        }
      } finally {
        client.shutdown();
      }
    }
    summary.put("results", rows);
    if (svg != null) {
      Files.writeString(svg, EvictionCostPlot.svg(rows));
      out.println("plot: " + svg.toAbsolutePath());
    }
    if (json) {
      out.println(Json.mapper().writeValueAsString(summary));
    }
    return 0;
  }

  /** Flushes Redis, then caches {@code authors} × 10 entries, each registered under its tag. */
  private static void load(StatefulRedisConnection<String, String> connection, int authors) {
    RedisCommands<String, String> redis = connection.sync();
    redis.flushall();
    var async = connection.async();
    connection.setAutoFlushCommands(false);
    try {
      List<io.lettuce.core.RedisFuture<?>> pending = new ArrayList<>();
      for (int a = 1; a <= authors; a++) {
        Map<String, String> entries = entriesOf(a);
        pending.add(async.mset(entries));
        pending.add(async.zadd(CacheKeys.tagRegistry("user:" + a), registered(entries)));
        if (pending.size() >= 2_000) {
          connection.flushCommands();
          pending.forEach(f -> f.toCompletableFuture().join());
          pending.clear();
        }
      }
      connection.flushCommands();
      pending.forEach(f -> f.toCompletableFuture().join());
    } finally {
      connection.setAutoFlushCommands(true);
    }
  }

  private static Map<String, String> entriesOf(long author) {
    Map<String, String> entries = new LinkedHashMap<>();
    entries.put(CacheKeys.entry("user", author), "{\"id\":" + author + "}");
    entries.put(CacheKeys.entry("user_stats", author), "{\"post_count\":10,\"total_views\":5}");
    for (int page = 0; page < ENTRIES_PER_AUTHOR - 2; page++) {
      entries.put(CacheKeys.entry("user_posts", author + ":page:" + page), "[1,2,3]");
    }
    return entries;
  }

  private static void refill(RedisCommands<String, String> redis, long author) {
    Map<String, String> entries = entriesOf(author);
    redis.mset(entries);
    redis.zadd(CacheKeys.tagRegistry("user:" + author), registered(entries));
  }

  /** The registry members of {@code entries}, scored as a fill scores them: by expiry. */
  @SuppressWarnings("unchecked")
  private static ScoredValue<String>[] registered(Map<String, String> entries) {
    double expiry = System.currentTimeMillis() + Duration.ofDays(1).toMillis();
    return entries.keySet().stream()
        .map(key -> ScoredValue.just(expiry, key))
        .toArray(ScoredValue[]::new);
  }

  /**
   * Runs {@code invalidation} {@link #repeat} times while a reader GETs random entries on its own
   * connection; returns the invalidation's median and max and the reader's p99 and max (ms).
   */
  private Map<String, Object> measure(
      StatefulRedisConnection<String, String> readerConnection,
      int authors,
      LongSupplier invalidation)
      throws InterruptedException {
    AtomicBoolean reading = new AtomicBoolean(true);
    Histogram reads = new Histogram(60_000_000_000L, 3);
    Thread reader =
        DaemonThreads.start(
            "eviction-cost-reader",
            () -> {
              RedisCommands<String, String> r = readerConnection.sync();
              SplittableRandom random = new SplittableRandom(7);
              while (reading.get()) {
                String key = CacheKeys.entry("user_stats", 1 + random.nextInt(authors));
                long start = System.nanoTime();
                r.get(key);
                synchronized (reads) {
                  reads.recordValue(System.nanoTime() - start);
                }
              }
            });
    long[] times = new long[repeat];
    for (int i = 0; i < repeat; i++) {
      times[i] = invalidation.getAsLong();
    }
    reading.set(false);
    reader.join();
    Arrays.sort(times);
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("median_ms", ms(times[times.length / 2]));
    figures.put("max_ms", ms(times[times.length - 1]));
    synchronized (reads) {
      figures.put("reader_p99_ms", ms(reads.getValueAtPercentile(99)));
      figures.put("reader_max_ms", ms(reads.getMaxValue()));
    }
    return figures;
  }

  private static double ms(long nanos) {
    return Math.round(nanos / 1_000.0) / 1_000.0;
  }
}
