package io.cachepipe.invalidator;

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

  /** Records one latency; values outside [0, 1 h] are clamped. */
  public void record(long micros) {
    recorder.recordValue(Math.max(0, Math.min(micros, MAX_MICROS)));
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
