package io.cachepipe.client;

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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The client's side of a fenced fill before the round trip: the value's JSON and the Lua script's
 * keys and arguments ({@link StandaloneEntries#fillCall}). In package {@code io.cachepipe.client}
 * because that method is package-private.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class FillArgumentsBenchmark {

  /** A cached value like the demo's user stats. */
  public record UserStats(long userId, int posts, long views, int likes, String name) {}

  private static final Duration TTL = Duration.ofMinutes(10);

  private final String key = CacheKeys.entry("user_stats", 42);
  private final UserStats value = new UserStats(42, 31, 18_204, 377, "Ada Lovelace");
  private TagVersions oneTag;
  private TagVersions threeTags;
  private String json;

  @Setup
  public void setUp() throws Exception {
    List<String> one = List.of("user:42");
    oneTag = new TagVersions(one, TagVersions.keysOf(one), List.of("17", "2"), System.nanoTime());
    List<String> three = List.of("user:42", "post:7", "post:9");
    threeTags =
        new TagVersions(
            three, TagVersions.keysOf(three), List.of("17", "3", "0", "2"), System.nanoTime());
    json = Json.mapper().writeValueAsString(value);
  }

  /** Keys and arguments of an entry under one tag. */
  @Benchmark
  public Object oneTag() {
    return StandaloneEntries.fillCall(key, oneTag, TTL, json);
  }

  /** Keys and arguments of an entry under three tags. */
  @Benchmark
  public Object threeTags() {
    return StandaloneEntries.fillCall(key, threeTags, TTL, json);
  }

  /** As {@link CacheClient#fill} does it: the value to JSON, then the keys and arguments. */
  @Benchmark
  public Object oneTagWithValueJson() throws Exception {
    return StandaloneEntries.fillCall(key, oneTag, TTL, Json.mapper().writeValueAsString(value));
  }
}
