package io.cachepipe.sidecar.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * One part of the pipeline as health sees it.
 *
 * @param state what it is doing, as shown on the status page ({@code streaming}, {@code RUNNING},
 *     {@code PONG}, ...)
 * @param ready whether it does its job
 * @param reason why it does not, in words an operator can act on; null when ready
 * @param live false when the part is dead and will not recover by itself: {@code /health/live}
 *     fails, so that the orchestrator restarts the process
 * @param progress what the part last did (last record's time, lag); null where nothing is measured
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record Part(
    String state, boolean ready, String reason, boolean live, Map<String, Object> progress) {

  /** A part that does its job. */
  static Part ok(String state) {
    return new Part(state, true, null, true, null);
  }

  /** A part that does not do its job yet or for now (starting, retrying), and may recover. */
  static Part notReady(String state, String reason) {
    return new Part(state, false, reason, true, null);
  }

  /** A part that stopped for good: it needs a restart of the process. */
  static Part dead(String state, String reason) {
    return new Part(state, false, reason, false, null);
  }

  /**
   * This part, not ready for {@code trouble} when a stage reports one (a stage's {@code trouble()}:
   * null when fine, else the reason); unchanged when {@code trouble} is null.
   */
  Part withTrouble(String trouble) {
    if (trouble == null) {
      return this;
    }
    String why = reason == null ? trouble : reason + "; " + trouble;
    return new Part(state, false, why, live, progress);
  }

  /** This part with what it last did. */
  Part withProgress(Map<String, Object> figures) {
    return new Part(state, ready, reason, live, figures);
  }
}
