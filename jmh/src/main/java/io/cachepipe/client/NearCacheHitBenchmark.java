package io.cachepipe.client;

import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.change.Op;
import io.cachepipe.core.json.Json;
import io.cachepipe.core.redis.CacheKeys;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a near-cache hit costs in the reader's thread: the entry's lookup with its fence (one mark
 * lookup per tag, against a tier that has applied invalidations of many other tags), and the value
 * read from its JSON as {@link CacheClient#get} does. The currency check adds three volatile reads
 * and a clock read; a Redis hit is a network round trip (tens to hundreds of µs here, see
 * docs/benchmarks-history.md). In package {@code io.cachepipe.client} because the tier's parts are
 * package-private.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class NearCacheHitBenchmark {

  /** A cached value like the demo's user stats. */
  public record UserStats(long userId, int posts, long views, int likes, String name) {}

  private final NearEntries entries =
      new NearEntries(100_000, Duration.ofMinutes(5), Duration.ofSeconds(10), true);
  private final String oneTagKey = CacheKeys.entry("user_stats", 42);
  private final String threeTagsKey = CacheKeys.entry("post_page", 7);

  @Setup
  public void setUp() throws Exception {
    for (int user = 0; user < 10_000; user++) {
      if (user != 42) {
        entries.invalidate(
            new Invalidation(1, "user:" + user, "public.users", Op.UPDATE, user, user, 0, 0));
      }
    }
    String json =
        Json.mapper().writeValueAsString(new UserStats(42, 31, 18_204, 377, "Ada Lovelace"));
    entries.put(oneTagKey, new NearEntries.Entry(json, List.of("user:42"), entries.begin()));
    entries.put(
        threeTagsKey,
        new NearEntries.Entry(json, List.of("user:42", "post:7", "post:9"), entries.begin()));
  }

  /** The lookup and fence of an entry under one tag. */
  @Benchmark
  public Object lookupOneTag() {
    return entries.get(oneTagKey);
  }

  /** The lookup and fence of an entry under three tags. */
  @Benchmark
  public Object lookupThreeTags() {
    return entries.get(threeTagsKey);
  }

  /** A whole hit as the reader sees it: lookup, fence, and the value from its JSON. */
  @Benchmark
  public Object hitWithValue() throws Exception {
    return Json.mapper().readValue(entries.get(oneTagKey), UserStats.class);
  }

  /** {@link #hitWithValue} from 2 threads at once (the machine has 2 cores). */
  @Benchmark
  @Threads(2)
  public Object hitWithValueTwoThreads() throws Exception {
    return Json.mapper().readValue(entries.get(oneTagKey), UserStats.class);
  }
}
