package io.cachepipe.sidecar.bench;

import io.cachepipe.core.json.Json;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.invalidator.RedisTagEvictor;
import io.cachepipe.servers.LocalRedis;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
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
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cachepipe bench eviction-cost}: the cost of invalidating one author's entries as the
 * keyspace grows, for cachepipe's tag eviction (one Lua call over the tag's registry) and for the
 * original recipe's {@code KEYS pattern} + {@code DEL} and its {@code SCAN}-based variant, with the
 * latency a concurrent reader sees while each runs.
 */
@Command(
    name = "eviction-cost",
    mixinStandardHelpOptions = true,
    description = {
      "Eviction cost vs keyspace: for each --keys size, Redis holds that many cached entries"
          + " (cp:<kind>:<author>, 10 per author, each registered under its author's tag); one"
          + " author's entries are invalidated --repeat times by cachepipe's tag eviction, by the"
          + " recipe's KEYS + DEL and by SCAN + DEL, while a reader does GETs. Reports each"
          + " method's time and the reader's p99/max during it."
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
                    evictor.evict(List.of("user:" + author));
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
      } finally {
        client.shutdown();
      }
    }
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("scenario", "eviction-cost");
    summary.put("results", rows);
    if (svg != null) {
      Files.writeString(svg, plot(rows));
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
        pending.add(
            async.sadd(
                CacheKeys.tagRegistry("user:" + a), entries.keySet().toArray(String[]::new)));
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
    redis.sadd(CacheKeys.tagRegistry("user:" + author), entries.keySet().toArray(String[]::new));
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
        new Thread(
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
            },
            "eviction-cost-reader");
    reader.setDaemon(true);
    reader.start();
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

  /** Median cost per method against keyspace size, log-log. */
  static String plot(List<Map<String, Object>> rows) {
    int w = 640, h = 360, left = 70, right = 150, top = 30, bottom = 50;
    double minX = Double.MAX_VALUE, maxX = 1, minY = Double.MAX_VALUE, maxY = 0.001;
    String[] methods = {"tag_eviction", "keys_pattern_del", "scan_del"};
    String[] colours = {"#2ca02c", "#d62728", "#ff7f0e"};
    for (Map<String, Object> row : rows) {
      double x = ((Number) row.get("keys")).doubleValue();
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      for (String m : methods) {
        double y = median(row, m);
        minY = Math.min(minY, Math.max(y, 0.001));
        maxY = Math.max(maxY, y);
      }
    }
    double lx0 = Math.log10(minX) - 0.2, lx1 = Math.log10(maxX) + 0.2;
    double ly0 = Math.floor(Math.log10(minY)), ly1 = Math.ceil(Math.log10(maxY));
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " font-family=\"sans-serif\" font-size=\"12\">%n"
                + "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n"
                + "<text x=\"%d\" y=\"18\" font-size=\"14\">invalidating one author: median time"
                + " vs keyspace (log-log)</text>%n",
            w,
            h,
            left));
    s.append(
        String.format(
            Locale.ROOT,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n"
                + "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
            left,
            h - bottom,
            w - right,
            h - bottom,
            left,
            h - bottom,
            left,
            top));
    for (double e = ly0; e <= ly1; e++) {
      int py = (int) (h - bottom - (e - ly0) / (ly1 - ly0) * (h - top - bottom));
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s ms</text>%n",
              left - 6,
              py + 4,
              trim(Math.pow(10, e))));
    }
    for (Map<String, Object> row : rows) {
      double x = ((Number) row.get("keys")).doubleValue();
      int px = (int) (left + (Math.log10(x) - lx0) / (lx1 - lx0) * (w - left - right));
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%,.0f</text>%n",
              px,
              h - bottom + 16,
              x));
    }
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">keys in Redis</text>%n",
            (left + w - right) / 2,
            h - 12));
    for (int i = 0; i < methods.length; i++) {
      StringBuilder points = new StringBuilder();
      for (Map<String, Object> row : rows) {
        double x = ((Number) row.get("keys")).doubleValue();
        double y = Math.max(median(row, methods[i]), 0.001);
        int px = (int) (left + (Math.log10(x) - lx0) / (lx1 - lx0) * (w - left - right));
        int py = (int) (h - bottom - (Math.log10(y) - ly0) / (ly1 - ly0) * (h - top - bottom));
        points.append(px).append(',').append(py).append(' ');
        s.append(
            String.format(
                Locale.ROOT,
                "<circle cx=\"%d\" cy=\"%d\" r=\"3\" fill=\"%s\"/>%n",
                px,
                py,
                colours[i]));
      }
      s.append(
          String.format(
              Locale.ROOT,
              "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>%n"
                  + "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>%n",
              colours[i],
              points.toString().trim(),
              w - right + 10,
              top + 20 + 18 * i,
              colours[i],
              methods[i]));
    }
    s.append("</svg>\n");
    return s.toString();
  }

  @SuppressWarnings("unchecked")
  private static double median(Map<String, Object> row, String method) {
    return ((Number) ((Map<String, Object>) row.get(method)).get("median_ms")).doubleValue();
  }

  private static String trim(double v) {
    return v >= 1 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%s", v);
  }
}
