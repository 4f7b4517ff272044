package io.cachepipe.sidecar.admin;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;

/**
 * {@code cachepipe_stage_up{stage}} (1 when the part is ready, 0 when not) and {@code
 * cachepipe_stage_last_progress_seconds{stage}} (since the part last handed over a record; -1
 * before the first), for every part of this process that reports them.
 */
final class StageMeters {

  static final String UP = "cachepipe.stage.up";
  static final String LAST_PROGRESS = "cachepipe.stage.last.progress.seconds";

  private final PipelineHealth health;

  StageMeters(PipelineHealth health) {
    this.health = health;
  }

  void bindTo(MeterRegistry registry) {
    for (Map.Entry<String, Part> part : health.parts().entrySet()) {
      String stage = part.getKey();
      Gauge.builder(UP, health, h -> up(h, stage))
          .tag("stage", stage)
          .description("1 when the part does its job, 0 when not (the reason is on /health/ready)")
          .register(registry);
      if (part.getValue().progress() != null) {
        Gauge.builder(LAST_PROGRESS, health, h -> lastProgress(h, stage))
            .tag("stage", stage)
            .description("Seconds since the part last handed over a record (-1: none yet)")
            .register(registry);
      }
    }
  }

  private static double up(PipelineHealth health, String stage) {
    Part part = health.parts().get(stage);
    return part != null && part.ready() ? 1 : 0;
  }

  private static double lastProgress(PipelineHealth health, String stage) {
    Part part = health.parts().get(stage);
    if (part == null || part.progress() == null) {
      return Double.NaN;
    }
    return part.progress().get("last_progress_seconds") instanceof Number n
        ? n.doubleValue()
        : Double.NaN;
  }
}
