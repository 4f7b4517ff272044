package io.cachepipe.sidecar.fault;

import com.fasterxml.jackson.databind.JsonNode;
import io.cachepipe.core.json.Json;
import io.cachepipe.sidecar.SidecarProcess;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Samples the sidecar's {@code /health/ready} on a thread of its own while a fault lasts: how often
 * it answered 200, 503, or nothing, and which parts a 503 named with what reasons, for the fault's
 * row and its assertions.
 */
final class ReadinessSamples implements AutoCloseable {

  private static final long EVERY_NANOS = 200_000_000L;
  private static final int REASONS_KEPT = 8;

  private final Map<Integer, LongAdder> byStatus = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> failing = new ConcurrentHashMap<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread sampler;

  private ReadinessSamples(SidecarProcess sidecar) {
    this.sampler =
        new Thread(
            () -> {
              while (running.get()) {
                SidecarProcess.Answer answer = sidecar.answer("/health/ready");
                byStatus.computeIfAbsent(answer.status(), s -> new LongAdder()).increment();
                if (answer.status() == 503) {
                  record(answer.body());
                }
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

  /**
   * The parts a 503 named as not ready, each with the distinct reasons it gave (their figures
   * replaced by {@code #}, at most a few kept).
   */
  Map<String, Set<String>> failingParts() {
    Map<String, Set<String>> parts = new TreeMap<>();
    failing.forEach((part, reasons) -> parts.put(part, new TreeSet<>(reasons)));
    return parts;
  }

  private void record(String body) {
    JsonNode parts;
    try {
      parts = Json.mapper().readTree(body).path("parts");
    } catch (IOException e) {
      failing.computeIfAbsent("?", p -> ConcurrentHashMap.newKeySet()).add("not JSON: " + body);
      return;
    }
    parts
        .fields()
        .forEachRemaining(
            part -> {
              if (part.getValue().path("ready").asBoolean(true)) {
                return;
              }
              Set<String> reasons =
                  failing.computeIfAbsent(part.getKey(), p -> ConcurrentHashMap.newKeySet());
              if (reasons.size() < REASONS_KEPT) {
                reasons.add(part.getValue().path("reason").asText().replaceAll("[0-9]+", "#"));
              }
            });
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    sampler.join(15_000);
  }
}
