package io.cachepipe.bench;

import io.cachepipe.client.CacheClient;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.json.Json;
import io.cachepipe.core.redis.CacheKeys;
import io.cachepipe.demo.DemoDatabase;
import io.cachepipe.demo.DemoOptions;
import io.cachepipe.demo.DemoProgress;
import io.cachepipe.demo.DemoRun;
import io.cachepipe.demo.DemoServers;
import io.cachepipe.demo.DemoWorkload;
import io.cachepipe.sidecar.Main;
import io.cachepipe.sidecar.Pipeline;
import io.cachepipe.sidecar.cli.DurationConverter;
import java.io.PrintStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cachepipe bench staleness}: the demo workload's writes and user stats reads, run twice on
 * the same servers: once cached as the recipe did (TTL-only cache-aside, {@link TtlOnlyCache}, no
 * pipeline), once through cachepipe's cache-client with every stage running. Every read after the
 * warm-up is checked against PostgreSQL ({@link StaleReadCheck}).
 */
@Command(
    name = "staleness",
    mixinStandardHelpOptions = true,
    description = {
      "Stale reads per 10,000 with TTL-only caching (the recipe's cache-aside, --ttl) and with"
          + " cachepipe: the demo workload (--write-rate writes/s of every kind, --read-rate user"
          + " stats reads/s) runs for --duration with each, on the same servers. A read counts as"
          + " stale if the value served differs from PostgreSQL's both right before and right after"
          + " it, and still stale after --grace if the cache then still holds that wrong value."
          + " Reports reads checked (after --warmup), stale reads, both per 10,000 and the hit"
          + " ratio of each; --json ends with one JSON object."
    })
public final class StalenessBenchmark implements Callable<Integer> {

  @Mixin DemoOptions options;

  @Option(
      names = "--ttl",
      defaultValue = "300s",
      converter = DurationConverter.class,
      description = "TTL of the TTL-only cache's entries (default ${DEFAULT-VALUE}, the recipe's).")
  Duration ttl;

  @Option(
      names = "--grace",
      defaultValue = "1s",
      converter = DurationConverter.class,
      description =
          "A stale read also counts as stale after the grace if the cache still holds that value,"
              + " still wrong, this long after the read (default ${DEFAULT-VALUE}).")
  Duration grace;

  @Option(names = "--json", description = "End with one JSON object of both runs' figures.")
  boolean json;

  private final PrintStream out = System.out;

  @Override
  public Integer call() throws Exception {
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("scenario", "staleness");
    summary.put("ttl_s", ttl.toSeconds());
    summary.put("grace_ms", grace.toMillis());
    summary.put("duration_s", options.duration.toSeconds());
    summary.put("warmup_s", options.warmup.toSeconds());
    summary.put("write_rate", options.writeRate);
    summary.put("read_rate", options.readRate);
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    try (DemoServers servers = DemoServers.start(options, out)) {
      if (servers.externalRedis) {
        DemoRun.clearKeys(servers.redisUri, CacheKeys.PREFIX);
        DemoRun.clearKeys(servers.redisUri, TtlOnlyCache.PREFIX);
      }
      try (DemoDatabase db = DemoRun.seededDatabase(servers, options, 16)) {
        out.printf("== run 1 of 2: TTL-only cache-aside, TTL %ss, no pipeline%n", ttl.toSeconds());
        try (TtlOnlyCache cache = new TtlOnlyCache(servers.redisUri, db, ttl)) {
          summary.put(
              "ttl_only",
              measure(
                  db,
                  new Cache(cache, cache.peek(), cache.hits::sum, cache.misses::sum),
                  failure,
                  null));
        }
        out.println("== run 2 of 2: cachepipe (every stage running)");
        Settings settings = DemoRun.settings(servers, options, Map.of());
        try (Pipeline pipeline = DemoRun.startPipeline(settings, db, failure);
            CacheClient cache = CacheClient.create(servers.redisUri);
            StatsPeek peek =
                new StatsPeek(servers.redisUri, id -> CacheKeys.entry("user_stats", id))) {
          Map<String, Object> figures =
              measure(
                  db,
                  new Cache(
                      DemoWorkload.throughCache(cache, db),
                      peek,
                      () -> cache.stats().hits(),
                      () -> cache.stats().misses()),
                  failure,
                  pipeline);
          figures.put("fills_rejected", cache.stats().fillsRejected());
          summary.put("cachepipe", figures);
        }
      }
    }
    if (failure.isDone()) {
      out.println("a stage failed: " + failure.join().getMessage());
    }
    out.printf(
        "stale reads per 10,000 (of them still stale %d ms later): TTL-only %s, cachepipe %s%n",
        grace.toMillis(),
        perTenThousand(summary.get("ttl_only")),
        perTenThousand(summary.get("cachepipe")));
    if (json) {
      out.println(Json.mapper().writeValueAsString(summary));
    }
    return failure.isDone() ? Main.FAILED : 0;
  }

  /** A cache under test: how the application reads through it, its entries, its hits and misses. */
  private record Cache(
      DemoWorkload.StatsReader reader, StatsPeek peek, LongSupplier hits, LongSupplier misses) {}

  /**
   * Runs the workload with reads through {@code cache} for the duration, printing a line a second
   * (with the evictions of {@code pipeline} if there is one), and returns the figures of the reads
   * after the warm-up.
   */
  private Map<String, Object> measure(
      DemoDatabase db, Cache cache, CompletableFuture<Throwable> failure, Pipeline pipeline)
      throws Exception {
    LongSupplier hits = cache.hits();
    LongSupplier misses = cache.misses();
    long hitsAtWarmup = 0;
    long missesAtWarmup = 0;
    long writes;
    long errors;
    StaleReadCheck check = new StaleReadCheck(db, cache.reader(), cache.peek(), grace);
    try (check;
        DemoWorkload workload = new DemoWorkload(db, check, db.maxId("users"), db.maxId("posts"))) {
      workload.start(2, options.writeRate, 2, options.readRate, options.seed);
      long start = System.nanoTime();
      boolean counting = false;
      for (int second = 1;
          System.nanoTime() - start < options.duration.toNanos() && !failure.isDone();
          second++) {
        LockSupport.parkNanos(start + second * 1_000_000_000L - System.nanoTime());
        if (!counting && System.nanoTime() - start >= options.warmup.toNanos()) {
          hitsAtWarmup = hits.getAsLong();
          missesAtWarmup = misses.getAsLong();
          check.startCounting();
          counting = true;
        }
        out.printf(
            Locale.ROOT,
            "[%4ds] writes=%d reads=%d checked=%d stale=%d hit=%.1f%%%s%n",
            second,
            workload.writes.sum(),
            workload.reads.sum(),
            check.reads.sum(),
            check.stale.sum(),
            ratio(hits.getAsLong(), misses.getAsLong()) * 100,
            pipeline == null ? "" : " evictions=" + pipeline.invalidator().metrics().evictions());
      }
      writes = workload.writes.sum();
      errors = workload.errors.sum();
    }
    long reads = check.reads.sum();
    long stale = check.stale.sum();
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("reads", reads);
    figures.put("stale", stale);
    figures.put("stale_per_10k", per10k(stale, reads));
    figures.put("stale_after_grace", check.staleAfterGrace.sum());
    figures.put("stale_after_grace_per_10k", per10k(check.staleAfterGrace.sum(), reads));
    figures.put(
        "hit_ratio",
        Math.round(
                ratio(hits.getAsLong() - hitsAtWarmup, misses.getAsLong() - missesAtWarmup) * 1000)
            / 1000.0);
    figures.put("writes", writes);
    figures.put("errors", errors + check.recheckErrors.sum());
    out.println("result: " + DemoProgress.oneLine(figures));
    return figures;
  }

  private static String perTenThousand(Object figures) {
    return figures instanceof Map<?, ?> m
        ? m.get("stale_per_10k") + " (" + m.get("stale_after_grace_per_10k") + ")"
        : "-";
  }

  private static Double per10k(long count, long reads) {
    return reads == 0 ? null : Math.round(count * 100_000.0 / reads) / 10.0;
  }

  private static double ratio(long hits, long misses) {
    return hits + misses == 0 ? 0 : (double) hits / (hits + misses);
  }
}
