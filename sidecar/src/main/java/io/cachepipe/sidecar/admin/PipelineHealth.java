package io.cachepipe.sidecar.admin;

import io.cachepipe.cdc.ChangeCapture;
import io.cachepipe.invalidator.Invalidator;
import io.cachepipe.sidecar.Pipeline;
import io.cachepipe.warmer.Warmer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Readiness of the parts this process runs, asked live: the cdc engine streams, Kafka Streams is
 * RUNNING (and the eviction step has its partitions), the warmer has joined its group, Redis
 * answers PING. Parts of stages the process does not run are left out.
 */
final class PipelineHealth {

  private final Pipeline pipeline;
  private final RedisProbe redis;

  /**
   * @param redis the probe of the Redis the stages write to, or null when no stage here uses Redis
   */
  PipelineHealth(Pipeline pipeline, RedisProbe redis) {
    this.pipeline = pipeline;
    this.redis = redis;
  }

  /** Each part's state, in pipeline order: cdc, invalidator, redis, warmer. */
  Map<String, Part> parts() {
    Map<String, Part> parts = new LinkedHashMap<>();
    ChangeCapture capture = pipeline.capture();
    if (capture != null) {
      ChangeCapture.State state = capture.state();
      parts.put(
          "cdc",
          new Part(state.name().toLowerCase(Locale.ROOT), state == ChangeCapture.State.STREAMING));
    }
    Invalidator invalidator = pipeline.invalidator();
    if (invalidator != null) {
      KafkaStreams.State state = invalidator.state();
      boolean assigned = invalidator.evictionStepAssigned();
      String text =
          state == KafkaStreams.State.RUNNING && !assigned
              ? "RUNNING, eviction step joining"
              : state.name();
      parts.put("invalidator", new Part(text, state == KafkaStreams.State.RUNNING && assigned));
    }
    if (redis != null) {
      parts.put("redis", redis.ping());
    }
    Warmer warmer = pipeline.warmer();
    if (warmer != null) {
      parts.put("warmer", new Part(warmer.isReady() ? "assigned" : "joining", warmer.isReady()));
    }
    return parts;
  }

  /** Whether every part is ready. */
  static boolean ready(Map<String, Part> parts) {
    return parts.values().stream().allMatch(Part::ready);
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
}
