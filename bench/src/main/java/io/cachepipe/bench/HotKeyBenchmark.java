package io.cachepipe.bench;

import io.cachepipe.client.CacheClient;
import io.cachepipe.core.change.EvictionReport;
import io.cachepipe.core.concurrent.DaemonThreads;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.json.Json;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.demo.DemoDatabase;
import io.cachepipe.demo.DemoOptions;
import io.cachepipe.demo.DemoProgress;
import io.cachepipe.demo.DemoRun;
import io.cachepipe.demo.DemoServers;
import io.cachepipe.demo.UserStats;
import io.cachepipe.invalidator.InvalidatorConfig;
import io.cachepipe.sidecar.Main;
import io.cachepipe.sidecar.Pipeline;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cachepipe bench hot-key}: a write storm on one author, once per coalescing delay, each on
 * fresh servers. It measures how often the author's tag is evicted, how long after each update's
 * commit its eviction lands (so what coalescing adds), the warmer's recomputes and what readers of
 * the author's stats see.
 */
@Command(
    name = "hot-key",
    mixinStandardHelpOptions = true,
    description = {
      "Hot-key storm: --rate single-row updates/s to the posts of one author while readers read"
          + " that author's stats through the cache; run once per --coalesce-ms value, each on"
          + " fresh servers. Reports the author tag's evictions/s, commit-to-eviction latency of"
          + " every update (to the first eviction covering it), coalesced invalidations, warmer"
          + " recomputes/s, read latency and hit ratio, over the run after --warmup."
    })
public final class HotKeyBenchmark implements Callable<Integer> {

  private static final long HOT_AUTHOR = 1;
  private static final String HOT_TAG = "user:" + HOT_AUTHOR;

  @Mixin DemoOptions options;

  @Option(
      names = "--rate",
      defaultValue = "1000",
      description = "Updates per second to the hot author's posts (default ${DEFAULT-VALUE}).")
  double rate;

  @Option(
      names = "--coalesce-ms",
      split = ",",
      defaultValue = "20,0",
      description = "Coalescing delays to compare, one run each (default ${DEFAULT-VALUE}).")
  List<Long> delays;

  @Option(
      names = "--readers",
      defaultValue = "2",
      description = "Threads reading the hot author's stats in a loop (default ${DEFAULT-VALUE}).")
  int readers;

  @Option(names = "--json", description = "End with one JSON object of every run's figures.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    List<Map<String, Object>> runs = new ArrayList<>();
    boolean clean = true;
    for (int i = 0; i < delays.size(); i++) {
      long delay = delays.get(i);
      out.printf("== run %d of %d: coalesce.max.delay.ms=%d%n", i + 1, delays.size(), delay);
      Map<String, Object> run = runOnce(delay, out);
      out.println("result: " + DemoProgress.oneLine(run));
      runs.add(run);
      clean &= Boolean.TRUE.equals(run.get("hot_entry_fresh")) && !run.containsKey("failure");
    }
    if (json) {
      out.println(Json.mapper().writeValueAsString(Map.of("runs", runs)));
    }
    return clean ? 0 : Main.FAILED;
  }

  private Map<String, Object> runOnce(long delayMillis, PrintStream out) throws Exception {
    try (DemoServers servers = DemoServers.start(options, out)) {
      Settings settings =
          DemoRun.settings(
              servers,
              options,
              Map.of(InvalidatorConfig.COALESCE_DELAY.name(), Long.toString(delayMillis)));
      try (DemoDatabase db = DemoRun.seededDatabase(servers, options, 8)) {
        long[] hotPosts = postsOf(db, HOT_AUTHOR);
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        try (Pipeline pipeline = DemoRun.startPipeline(settings, db, failure);
            CacheClient cache = CacheClient.create(servers.redisUri)) {
          return storm(settings, pipeline, cache, db, hotPosts, delayMillis, failure, out);
        }
      }
    }
  }

  private Map<String, Object> storm(
      Settings settings,
      Pipeline pipeline,
      CacheClient cache,
      DemoDatabase db,
      long[] hotPosts,
      long delayMillis,
      CompletableFuture<Throwable> failure,
      PrintStream out)
      throws Exception {
    String key = CacheKeys.entry("user_stats", HOT_AUTHOR);
    List<String> tags = List.of(HOT_TAG);
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicBoolean measuring = new AtomicBoolean(false);
    List<long[]> updates = new ArrayList<>(); // {before commit, after commit} wall clock ms
    List<Thread> threads = new ArrayList<>();
    Histogram reads = new ConcurrentHistogram(60_000_000_000L, 3); // ns
    for (int r = 0; r < readers; r++) {
      threads.add(
          DaemonThreads.start(
              "hot-key-reader-" + r,
              () -> {
                while (running.get()) {
                  long start = System.nanoTime();
                  cache.get(
                      key,
                      tags,
                      Duration.ofSeconds(300),
                      () -> db.userStats(HOT_AUTHOR),
                      UserStats.class);
                  if (measuring.get()) {
                    reads.recordValue(System.nanoTime() - start);
                  }
                  LockSupport.parkNanos(1_000_000);
                }
              }));
    }
    Thread writer =
        DaemonThreads.start(
            "hot-key-writer",
            () -> {
              try (Connection c = db.connection();
                  PreparedStatement st =
                      c.prepareStatement(
                          "UPDATE posts SET view_count = view_count + 1 WHERE id = ?")) {
                long start = System.nanoTime();
                for (long i = 0; running.get(); i++) {
                  long due = start + (long) (i * 1e9 / rate);
                  long wait = due - System.nanoTime();
                  if (wait > 0) {
                    LockSupport.parkNanos(wait);
                  }
                  st.setLong(1, hotPosts[(int) (i % hotPosts.length)]);
                  long before = System.currentTimeMillis();
                  st.executeUpdate();
                  if (measuring.get()) {
                    updates.add(new long[] {before, System.currentTimeMillis()});
                  }
                }
              } catch (Exception e) {
                failure.complete(e);
              }
            });
    threads.add(writer);

    out.printf("warming up for %ss …%n", options.warmup.toSeconds());
    sleep(options.warmup);
    long coalescedBefore = pipeline.invalidator().metrics().coalesced();
    long warmedBefore = pipeline.warmer().stats().warmed();
    long hitsBefore = cache.stats().hits();
    long missesBefore = cache.stats().misses();
    long windowStart = System.currentTimeMillis();
    measuring.set(true);
    out.printf("storming for %ss at %.0f updates/s …%n", options.duration.toSeconds(), rate);
    sleep(options.duration);
    measuring.set(false);
    long windowEnd = System.currentTimeMillis();
    running.set(false);
    for (Thread t : threads) {
      t.join();
    }
    double seconds = (windowEnd - windowStart) / 1000.0;
    long coalesced = pipeline.invalidator().metrics().coalesced() - coalescedBefore;
    long warmed = pipeline.warmer().stats().warmed() - warmedBefore;
    long hits = cache.stats().hits() - hitsBefore;
    long misses = cache.stats().misses() - missesBefore;

    Map<String, Object> run = new LinkedHashMap<>();
    run.put("coalesce_max_delay_ms", delayMillis);
    if (failure.isDone()) {
      run.put("failure", String.valueOf(failure.join().getMessage()));
      return run;
    }
    out.println("draining …");
    DemoRun.drain(settings, pipeline, db);
    Topics topics = Topics.from(settings);
    List<long[]> evictions = new ArrayList<>(); // {applied ms, commit µs}
    for (ConsumerRecord<String, byte[]> r :
        HotTagTimeline.records(settings, topics.evictions(), HOT_TAG)) {
      evictions.add(
          new long[] {r.timestamp(), EvictionReport.CONTRACT.decode(r.value()).commitMicros()});
    }
    evictions.sort((a, b) -> Long.compare(a[0], b[0]));
    long invalidationsInWindow =
        HotTagTimeline.records(settings, topics.invalidations(), HOT_TAG).stream()
            .filter(r -> r.timestamp() >= windowStart && r.timestamp() < windowEnd)
            .count();

    long[] latencies = HotTagTimeline.coveringLatencies(updates, evictions);
    long evictionsInWindow =
        evictions.stream().filter(e -> e[0] >= windowStart && e[0] < windowEnd).count();
    run.put("achieved_rate", round(updates.size() / seconds));
    run.put("hot_tag_invalidations_per_s", round(invalidationsInWindow / seconds));
    run.put("hot_tag_evictions_per_s", round(evictionsInWindow / seconds));
    run.put("coalesced_per_s", round(coalesced / seconds));
    run.put("eviction_latency_p50_ms", HotTagTimeline.percentile(latencies, 0.50));
    run.put("eviction_latency_p99_ms", HotTagTimeline.percentile(latencies, 0.99));
    run.put(
        "eviction_latency_max_ms", latencies.length == 0 ? -1 : latencies[latencies.length - 1]);
    run.put("uncovered_updates", updates.size() - latencies.length);
    run.put("warmer_recomputes_per_s", round(warmed / seconds));
    run.put("reads", hits + misses);
    run.put("hit_ratio", hits + misses == 0 ? 0 : round((double) hits / (hits + misses)));
    run.put("read_p50_ms", round(reads.getValueAtPercentile(50) / 1e6));
    run.put("read_p99_ms", round(reads.getValueAtPercentile(99) / 1e6));
    run.put("hot_entry_fresh", hotEntryFresh(cache, key, db));
    return run;
  }

  private static boolean hotEntryFresh(CacheClient cache, String key, DemoDatabase db)
      throws Exception {
    UserStats truth = db.userStats(HOT_AUTHOR);
    UserStats cached =
        cache.get(key, List.of(HOT_TAG), Duration.ofSeconds(300), () -> truth, UserStats.class);
    return truth.equals(cached);
  }

  private static long[] postsOf(DemoDatabase db, long author) throws Exception {
    List<Long> ids = new ArrayList<>();
    try (Connection c = db.connection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT id FROM posts WHERE author_id = " + author)) {
      while (rs.next()) {
        ids.add(rs.getLong(1));
      }
    }
    if (ids.isEmpty()) {
      throw new IllegalStateException("author " + author + " has no posts to update");
    }
    return ids.stream().mapToLong(Long::longValue).toArray();
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  private static void sleep(Duration d) throws InterruptedException {
    Thread.sleep(d.toMillis());
  }
}
