package io.cachepipe.sidecar.fault;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.cachepipe.core.json.Json;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The figures of one fault, printed as one line {@code FAULT-RESULT {json}} that {@link
 * ReliabilityReport} turns into a row of {@code docs/reliability.md}. The first keys are the
 * table's columns; {@code extra} holds what only one fault has.
 *
 * @param fault short name of the fault
 * @param action what the test did, in a sentence
 * @param loadPerSecond the write load offered, in single-row transactions per second
 * @param committed writes committed before, during and after the fault
 * @param lost committed writes whose invalidation was never applied (must be 0)
 * @param duplicates evictions applied again for a change already evicted (a replay skipped as
 *     already done is none)
 * @param recoveryMillis from the end of the fault until every write committed by then is evicted,
 *     and a write committed after it too
 * @param staleAfter stale cached entries after the pipeline drained (must be 0)
 */
record FaultResult(
    String fault,
    String action,
    double loadPerSecond,
    long committed,
    long lost,
    long duplicates,
    long recoveryMillis,
    long staleAfter,
    Map<String, Object> extra) {

  static final String PREFIX = "FAULT-RESULT ";

  String line() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("fault", fault);
    json.put("action", action);
    json.put("load_per_s", Math.round(loadPerSecond * 10) / 10.0);
    json.put("committed", committed);
    json.put("lost", lost);
    json.put("duplicates", duplicates);
    json.put("recovery_ms", recoveryMillis);
    json.put("stale_after", staleAfter);
    json.putAll(extra);
    try {
      return PREFIX + Json.mapper().writeValueAsString(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Prints the line to standard output, which Failsafe keeps in {@code *-output.txt}. */
  void print() {
    System.out.println(line());
    System.out.flush();
  }
}
