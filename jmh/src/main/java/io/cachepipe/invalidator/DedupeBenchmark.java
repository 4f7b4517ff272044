package io.cachepipe.invalidator;

import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.change.InvalidationsRecord;
import io.cachepipe.core.change.Op;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
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

/**
 * A poll's deduplication by tag: the eviction step's {@link InvalidationBatch}, and the topology's
 * {@link Coalescer} taking the same invalidations and flushing what it held. Per poll of {@code
 * invalidations} records over {@code tags} distinct tags, a fifth of the tags drawing 80 % of them.
 * In package {@code io.cachepipe.invalidator} because both classes are package-private.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class DedupeBenchmark {

  @Param({"500"})
  public int invalidations;

  @Param({"100"})
  public int tags;

  private List<Invalidation> poll;
  private List<byte[]> pollBytes;

  private MockProcessorContext<String, InvalidationsRecord> context;
  private Coalescer coalescer;
  private long now;

  @Setup
  public void setUp() {
    Random random = new Random(7);
    poll = new ArrayList<>(invalidations);
    pollBytes = new ArrayList<>(invalidations);
    int hot = Math.max(1, tags / 5);
    for (int i = 0; i < invalidations; i++) {
      int t = random.nextInt(10) < 8 ? random.nextInt(hot) : hot + random.nextInt(tags - hot);
      Invalidation invalidation =
          new Invalidation(
              Invalidation.SCHEMA_VERSION,
              "user:" + t,
              "public.posts",
              Op.UPDATE,
              24_117_840_528L + 64L * i,
              24_117_840_528L + 64L * i,
              1_764_064_800_123_456L + i,
              48_213L + i / 4);
      poll.add(invalidation);
      pollBytes.add(Invalidation.CONTRACT.encode(invalidation));
    }

    context = new MockProcessorContext<>();
    KeyValueStore<String, byte[]> store =
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(Coalescer.STORE), Serdes.String(), Serdes.ByteArray())
            .withLoggingDisabled()
            .withCachingDisabled()
            .build();
    store.init(context.getStateStoreContext(), store);
    context.addStateStore(store);
    coalescer = new Coalescer(Duration.ofMillis(50), new InvalidatorMetrics());
    now = 1_000_000;
    context.setCurrentSystemTimeMs(now);
    coalescer.init(context);
    int forwarded = coalescerPoll();
    if (forwarded > invalidations || forwarded < 1) {
      throw new IllegalStateException("coalescer forwarded " + forwarded);
    }
  }

  /** The eviction step's dedupe of a decoded poll: the distinct tags, newest invalidation each. */
  @Benchmark
  public Map<String, Invalidation> batch() {
    InvalidationBatch batch = new InvalidationBatch();
    for (Invalidation invalidation : poll) {
      batch.add(invalidation);
    }
    return batch.byTag();
  }

  /** The same from the records' bytes, as the eviction step gets them: decode, then dedupe. */
  @Benchmark
  public Map<String, Invalidation> decodeAndBatch() {
    InvalidationBatch batch = new InvalidationBatch();
    for (byte[] bytes : pollBytes) {
      batch.add(Invalidation.CONTRACT.decode(bytes));
    }
    return batch.byTag();
  }

  /**
   * The coalescer (50 ms delay, in-memory store without changelog) taking the poll at once: each
   * tag's first invalidation passes, the rest are held in the store; then the punctuation after the
   * window flushes the held ones. Returns how many invalidations left it.
   */
  @Benchmark
  public int coalescer() {
    return coalescerPoll();
  }

  private int coalescerPoll() {
    context.resetForwards();
    now += 10_000; // every window of the previous poll has ended
    context.setCurrentSystemTimeMs(now);
    long timestamp = now;
    for (Invalidation invalidation : poll) {
      coalescer.process(new Record<>(invalidation.tag(), invalidation, timestamp));
    }
    now += 100;
    context.setCurrentSystemTimeMs(now);
    context.scheduledPunctuators().get(0).getPunctuator().punctuate(now);
    return context.forwarded().size();
  }
}
