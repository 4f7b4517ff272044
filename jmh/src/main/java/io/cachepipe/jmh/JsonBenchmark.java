package io.cachepipe.jmh;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.EvictionReport;
import io.cachepipe.core.change.Invalidation;
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

/** The message contracts: what each topic hop costs in JSON, per message. */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class JsonBenchmark {

  private ChangeEvent change;
  private byte[] changeBytes;
  private Invalidation invalidation;
  private byte[] invalidationBytes;
  private EvictionReport report;

  @Setup
  public void setUp() {
    change = Posts.authorMove();
    changeBytes = ChangeEvent.CONTRACT.encode(change);
    invalidation = Invalidation.of("user:2", change);
    invalidationBytes = Invalidation.CONTRACT.encode(invalidation);
    report =
        EvictionReport.of(
            invalidation,
            List.of("cp:user_stats:2", "cp:user_posts:2:page:1", "cp:user_profile:2"),
            3,
            false);
    if (!ChangeEvent.CONTRACT.decode(changeBytes).table().equals(change.table())
        || !Invalidation.CONTRACT.decode(invalidationBytes).equals(invalidation)) {
      throw new IllegalStateException("round trip failed");
    }
  }

  /** The invalidator reading a posts update with both images (~1.3 KB of JSON). */
  @Benchmark
  public ChangeEvent changeDecode() {
    return ChangeEvent.CONTRACT.decode(changeBytes);
  }

  /** The cdc-connector writing it. */
  @Benchmark
  public byte[] changeEncode() {
    return ChangeEvent.CONTRACT.encode(change);
  }

  @Benchmark
  public byte[] invalidationEncode() {
    return Invalidation.CONTRACT.encode(invalidation);
  }

  @Benchmark
  public Invalidation invalidationDecode() {
    return Invalidation.CONTRACT.decode(invalidationBytes);
  }

  /** What the eviction step writes per evicted tag (three live keys). */
  @Benchmark
  public byte[] evictionReportEncode() {
    return EvictionReport.CONTRACT.encode(report);
  }
}
