package io.cachepipe.sidecar.admin;

import io.cachepipe.cdc.CaptureStats;
import io.cachepipe.cdc.ChangeCapture;
import io.cachepipe.invalidator.Invalidator;
import io.cachepipe.invalidator.InvalidatorMetrics;
import io.cachepipe.sidecar.Pipeline;
import io.cachepipe.warmer.Warmer;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Health of the parts this process runs, asked live: the cdc engine streams (and hands over
 * records, heartbeats at least), Kafka Streams is RUNNING (and the eviction step has its
 * partitions), the warmer has joined its group, Redis answers PING. Each part says why when it is
 * not ready, and whether it is dead for good ({@code /health/live} then fails). Parts of stages the
 * process does not run are left out.
 *
 * <p>A stage that reports its own trouble ({@code String trouble()}: null when fine, else the
 * reason) is wired in with {@link Part#withTrouble} on its part, one call each.
 */
final class PipelineHealth {

  private final Pipeline pipeline;
  private final RedisProbe redis;
  private final SlotLagProbe slot;
  private final Duration stallAfter;
  private final boolean heartbeats;
  private final LongSupplier clock;

  /**
   * @param redis the probe of the Redis the stages write to, or null when no stage here uses Redis
   * @param slot the probe of the cdc stage's slot, or null without a cdc stage
   * @param stallAfter how long a streaming engine may hand over nothing before it counts as stalled
   * @param heartbeats whether the engine has heartbeats, so that silence means a stall
   */
  PipelineHealth(
      Pipeline pipeline,
      RedisProbe redis,
      SlotLagProbe slot,
      Duration stallAfter,
      boolean heartbeats,
      LongSupplier clock) {
    this.pipeline = pipeline;
    this.redis = redis;
    this.slot = slot;
    this.stallAfter = stallAfter;
    this.heartbeats = heartbeats;
    this.clock = clock;
  }

  /** Each part's state, in pipeline order: cdc, invalidator, redis, warmer. */
  Map<String, Part> parts() {
    Map<String, Part> parts = new LinkedHashMap<>();
    ChangeCapture capture = pipeline.capture();
    if (capture != null) {
      parts.put("cdc", capture(capture).withProgress(progress(capture.stats())));
    }
    Invalidator invalidator = pipeline.invalidator();
    if (invalidator != null) {
      parts.put(
          "invalidator",
          invalidator(invalidator)
              .withTrouble(invalidator.trouble())
              .withProgress(progress(invalidator)));
    }
    if (redis != null) {
      parts.put("redis", redis.ping());
    }
    Warmer warmer = pipeline.warmer();
    if (warmer != null) {
      String failure = warmer.failure();
      Part part =
          failure != null
              ? Part.dead("failed", "the warmer stopped: " + failure)
              : warmer.isReady()
                  ? Part.ok("assigned")
                  : Part.notReady("joining", "the warmer has not joined its consumer group yet");
      parts.put("warmer", part.withTrouble(warmer.trouble()));
    }
    return parts;
  }

  private Part capture(ChangeCapture capture) {
    ChangeCapture.State state = capture.state();
    String name = state.name().toLowerCase(Locale.ROOT);
    return switch (state) {
      case STREAMING -> stalled(capture.stats()) ? stalledPart(capture.stats()) : Part.ok(name);
      case FAILED -> Part.dead(name, capture.failure());
      case WAITING_FOR_TABLES -> Part.notReady(name, "a watched table does not exist yet");
      case STANDBY -> Part.notReady(name, "another connector holds the slot; standing by");
      case STARTING -> Part.notReady(name, "the capture engine is connecting to the slot");
      case STOPPED -> Part.notReady(name, "the capture was closed");
    };
  }

  /**
   * Whether a streaming engine has handed over nothing for longer than {@code stallAfter}, while it
   * should have: heartbeats are on (the slot always has one to send), or the slot is not active.
   */
  private boolean stalled(CaptureStats stats) {
    long since = quietSince(stats);
    if (since == 0 || clock.getAsLong() - since <= stallAfter.toMillis()) {
      return false;
    }
    return heartbeats || (slot != null && "slot inactive".equals(slot.state()));
  }

  /**
   * Since when the engine has handed over nothing: its last batch, or its start if it has handed
   * over none since (an engine that never delivers its first batch is as stalled as one that
   * stopped delivering); 0 before it streams.
   */
  private static long quietSince(CaptureStats stats) {
    return Math.max(stats.lastBatchMillis(), stats.streamingSinceMillis());
  }

  private Part stalledPart(CaptureStats stats) {
    long seconds = (clock.getAsLong() - quietSince(stats)) / 1_000;
    return Part.notReady(
        "stalled",
        "the capture engine has handed over no record for "
            + seconds
            + " s (slot: "
            + (slot == null ? "not probed" : slot.state())
            + ")");
  }

  private static Part invalidator(Invalidator invalidator) {
    KafkaStreams.State state = invalidator.state();
    String stepFailure = invalidator.evictionStepFailure();
    if (stepFailure != null) {
      return Part.dead("eviction step failed", "the eviction step stopped: " + stepFailure);
    }
    boolean assigned = invalidator.evictionStepAssigned();
    if (state == KafkaStreams.State.RUNNING) {
      return assigned
          ? Part.ok(state.name())
          : Part.notReady(
              "RUNNING, eviction step joining",
              "the eviction step has not been given partitions yet");
    }
    if (state == KafkaStreams.State.ERROR
        || state == KafkaStreams.State.PENDING_ERROR
        || state == KafkaStreams.State.NOT_RUNNING
        || state == KafkaStreams.State.PENDING_SHUTDOWN) {
      return Part.dead(state.name(), "Kafka Streams stopped (" + state.name() + ")");
    }
    return Part.notReady(state.name(), "Kafka Streams is " + state.name());
  }

  private Map<String, Object> progress(CaptureStats stats) {
    Map<String, Object> figures = new LinkedHashMap<>();
    lastRecord(figures, stats.lastBatchMillis());
    figures.put("lag_ms", stats.lagMillis());
    return figures;
  }

  private Map<String, Object> progress(Invalidator invalidator) {
    InvalidatorMetrics metrics = invalidator.metrics();
    Map<String, Object> figures = new LinkedHashMap<>();
    lastRecord(figures, metrics.lastTaggedMillis());
    figures.put("last_eviction_at", at(metrics.lastEvictedMillis()));
    figures.put("lag_ms", metrics.lastEvictionLagMillis());
    ChangeCapture capture = pipeline.capture();
    if (capture != null) {
      figures.put(
          "oldest_unevicted_ms_at_most",
          oldestUnevicted(
              capture.stats().lastCommitMicros(),
              metrics.lastEvictedCommitMicros(),
              clock.getAsLong()));
    }
    return figures;
  }

  /**
   * An upper bound of the age of the oldest captured change not evicted yet: none when the newest
   * eviction is of the newest captured commit or later, else the age of the newest evicted commit
   * (every change not evicted yet committed after it). Times of commits in microseconds since the
   * epoch (0: none yet), {@code nowMillis} in milliseconds.
   */
  static long oldestUnevicted(long capturedMicros, long evictedMicros, long nowMillis) {
    if (capturedMicros == 0 || evictedMicros >= capturedMicros) {
      return 0;
    }
    long since = evictedMicros == 0 ? capturedMicros : evictedMicros;
    return Math.max(0, nowMillis - since / 1_000);
  }

  private void lastRecord(Map<String, Object> figures, long millis) {
    figures.put("last_record_at", at(millis));
    figures.put("last_progress_seconds", secondsSince(millis));
  }

  /** Seconds since {@code millis}; -1 before the first. */
  double secondsSince(long millis) {
    return millis == 0 ? -1 : Math.max(0, clock.getAsLong() - millis) / 1_000.0;
  }

  private static String at(long millis) {
    return millis == 0 ? null : Instant.ofEpochMilli(millis).toString();
  }

  /** Whether every part is ready. */
  static boolean ready(Map<String, Part> parts) {
    return parts.values().stream().allMatch(Part::ready);
  }

  /** Whether no part is dead for good. */
  static boolean live(Map<String, Part> parts) {
    return parts.values().stream().allMatch(Part::live);
  }

  /** The names of the parts that are not ready. */
  static List<String> failing(Map<String, Part> parts) {
    return parts.entrySet().stream()
        .filter(e -> !e.getValue().ready())
        .map(Map.Entry::getKey)
        .toList();
  }

  /** The body of {@code /health/ready}: {@code ready}, each part, and the failing ones. */
  static Map<String, Object> report(Map<String, Part> parts) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("ready", ready(parts));
    body.put("parts", parts);
    body.put("failing", failing(parts));
    return body;
  }

  /** The body of {@code /health/live}: {@code live}, and the dead parts with their reasons. */
  static Map<String, Object> liveness(Map<String, Part> parts) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("live", live(parts));
    Map<String, String> dead = new LinkedHashMap<>();
    parts.forEach(
        (name, part) -> {
          if (!part.live()) {
            dead.put(name, part.reason());
          }
        });
    body.put("dead", dead);
    return body;
  }
}
