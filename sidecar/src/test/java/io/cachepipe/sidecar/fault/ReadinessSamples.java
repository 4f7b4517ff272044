package io.cachepipe.sidecar.fault;

import io.cachepipe.sidecar.SidecarProcess;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Samples the sidecar's {@code /health/ready} on a thread of its own while a fault lasts: how often
 * it answered 200, 503, or nothing, for the fault's row and its assertions.
 */
final class ReadinessSamples implements AutoCloseable {

  private static final long EVERY_NANOS = 200_000_000L;

  private final Map<Integer, LongAdder> byStatus = new ConcurrentHashMap<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread sampler;

  private ReadinessSamples(SidecarProcess sidecar) {
    this.sampler =
        new Thread(
            () -> {
              while (running.get()) {
                byStatus
                    .computeIfAbsent(sidecar.status("/health/ready"), s -> new LongAdder())
                    .increment();
                LockSupport.parkNanos(EVERY_NANOS);
              }
            },
            "readiness-sampler");
    sampler.setDaemon(true);
  }

  /** Starts sampling {@code sidecar}'s readiness every 200 ms. */
  static ReadinessSamples start(SidecarProcess sidecar) {
    ReadinessSamples samples = new ReadinessSamples(sidecar);
    samples.sampler.start();
    return samples;
  }

  /** Samples that answered {@code status} (-1: no answer). */
  long count(int status) {
    LongAdder count = byStatus.get(status);
    return count == null ? 0 : count.sum();
  }

  /** Every status seen and how often, for the fault's row. */
  Map<String, Long> figures() {
    Map<String, Long> figures = new TreeMap<>();
    byStatus.forEach((status, count) -> figures.put(String.valueOf(status), count.sum()));
    return figures;
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    sampler.join(15_000);
  }
}
