package io.cachepipe.core.metrics;

import java.util.Objects;
import java.util.function.LongConsumer;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Commit-to-eviction latency in microseconds: an interval view for progress lines and a cumulative
 * one for summaries. Thread-safe; recording does not block.
 */
public final class LatencyHistogram {

  private static final long MAX_MICROS = 3_600_000_000L;

  private final Recorder recorder = new Recorder(MAX_MICROS, 3);
  private final Histogram total = new Histogram(MAX_MICROS, 3);
  private Histogram interval;
  private volatile LongConsumer observer = micros -> {};

  /** Records one latency; values outside [0, 1 h] are clamped. */
  public void record(long micros) {
    long clamped = Math.max(0, Math.min(micros, MAX_MICROS));
    recorder.recordValue(clamped);
    observer.accept(clamped);
  }

  /**
   * Also hands every latency recorded from now on, in microseconds, to {@code observer} (a metrics
   * registry's timer); it runs on the eviction thread, so it must be quick and must not throw.
   */
  public void observe(LongConsumer observer) {
    this.observer = Objects.requireNonNull(observer, "observer");
  }

  /** Latencies recorded since the previous call, also added to the cumulative view. */
  public synchronized Histogram interval() {
    interval = recorder.getIntervalHistogram(interval);
    total.add(interval);
    return interval.copy();
  }

  /** Every latency recorded so far. */
  public synchronized Histogram total() {
    interval();
    return total.copy();
  }
}
