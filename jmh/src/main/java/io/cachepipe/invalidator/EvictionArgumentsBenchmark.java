package io.cachepipe.invalidator;

import io.cachepipe.redis.evict.EvictionArguments;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The evictor's argument building for one batch, before the pipelined round trip: each tag's keys
 * ({@link EvictionArguments#evictKeys}) and the watermark script's arguments ({@link
 * EvictionArguments#watermarkArgs}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class EvictionArgumentsBenchmark {

  /** A batch of distinct tags and the watermark parts that came with it. */
  @State(Scope.Benchmark)
  public static class Batch {

    /** Distinct tags in the batch. */
    @Param({"50"})
    public int tags;

    List<String> tagList;

    /** Six invalidation partitions times one changes partition: six watermark parts. */
    Map<String, Long> parts;

    @Setup
    public void setUp() {
      tagList = new ArrayList<>(tags);
      for (int i = 0; i < tags; i++) {
        tagList.add(i % 2 == 0 ? "user:" + (1000 + i) : "post:" + (50_000 + i));
      }
      parts = new LinkedHashMap<>();
      for (int p = 0; p < 6; p++) {
        parts.put(p + "/0", 24_117_840_528L + p);
      }
    }
  }

  /** One tag's keys: what each EVALSHA of the batch needs. */
  @Benchmark
  public String[] oneTag() {
    return EvictionArguments.evictKeys("user:42", "9f86d081884c7d65");
  }

  /** The whole batch's arguments: every tag's keys and the watermark parts. */
  @Benchmark
  public void batch(Batch batch, Blackhole bh) {
    for (String tag : batch.tagList) {
      bh.consume(EvictionArguments.evictKeys(tag, EvictionArguments.token()));
      bh.consume(EvictionArguments.evictArgs("86400000", 24_117_840_528L, true));
    }
    bh.consume(EvictionArguments.watermarkArgs(batch.parts, 6));
  }
}
