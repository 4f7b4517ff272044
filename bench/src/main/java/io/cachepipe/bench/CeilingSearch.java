package io.cachepipe.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * The throughput ceiling's search and its rule for "sustained", apart from running anything.
 *
 * <p>Search: from the start rate, double while each probe is sustained (or halve while it is not,
 * down to a sixteenth of the start), then bisect (geometric mean) between the highest sustained and
 * the lowest failed rate until they are within {@value #PRECISION_PERCENT} % of each other, never
 * more than a given number of probes in all.
 *
 * <p>A step is sustained when the writers achieved at least {@value #MIN_ACHIEVED_PERCENT} % of the
 * offered rate, the commit-to-eviction p99 of the step (warm-up excluded, drain included) is under
 * the limit, and the lag did not grow: the median of the per-second p50 latencies in the last third
 * of the window is at most {@value #LAG_GROWTH_FACTOR} times that of the first third plus {@value
 * #LAG_GROWTH_SLACK_MS} ms. A backlog that grows makes every second's latency higher than the one
 * before; noise of a few tens of ms does not count. A window under three seconds with evictions is
 * too short to judge growth, and only the other two conditions apply.
 */
final class CeilingSearch {

  static final int MIN_ACHIEVED_PERCENT = 97;
  static final double LAG_GROWTH_FACTOR = 1.5;
  static final int LAG_GROWTH_SLACK_MS = 100;
  static final int PRECISION_PERCENT = 10;

  private final double start;
  private final int maxProbes;
  private double sustained = Double.NaN;
  private double failed = Double.NaN;
  private int probes;

  CeilingSearch(double start, int maxProbes) {
    this.start = start;
    this.maxProbes = maxProbes;
  }

  /** The next rate to probe, or empty when the search is done. */
  OptionalDouble next() {
    if (probes >= maxProbes) {
      return OptionalDouble.empty();
    }
    if (probes == 0) {
      return OptionalDouble.of(start);
    }
    if (Double.isNaN(failed)) {
      return OptionalDouble.of(sustained * 2);
    }
    if (Double.isNaN(sustained)) {
      double lower = Math.round(failed / 2);
      return lower >= start / 16 && lower >= 1 ? OptionalDouble.of(lower) : OptionalDouble.empty();
    }
    if (failed <= sustained * (1 + PRECISION_PERCENT / 100.0)) {
      return OptionalDouble.empty();
    }
    return OptionalDouble.of(Math.round(Math.sqrt(sustained * failed)));
  }

  /** Notes a probe's verdict. */
  void record(double rate, boolean wasSustained) {
    probes++;
    if (wasSustained) {
      sustained = Double.isNaN(sustained) ? rate : Math.max(sustained, rate);
    } else {
      failed = Double.isNaN(failed) ? rate : Math.min(failed, rate);
    }
  }

  /** The highest rate a probe sustained. */
  OptionalDouble highestSustained() {
    return Double.isNaN(sustained) ? OptionalDouble.empty() : OptionalDouble.of(sustained);
  }

  /** The lowest rate a probe did not sustain: the ceiling lies below it. */
  OptionalDouble lowestFailed() {
    return Double.isNaN(failed) ? OptionalDouble.empty() : OptionalDouble.of(failed);
  }

  /**
   * Why a step was not sustained; empty if it was. {@code secondP50s} are the medians of the
   * measured seconds, in order.
   */
  static List<String> shortfalls(
      double offered, double achieved, double p99Ms, List<Double> secondP50s, double maxP99Ms) {
    List<String> reasons = new ArrayList<>();
    if (achieved < offered * MIN_ACHIEVED_PERCENT / 100.0) {
      reasons.add(
          String.format(
              Locale.ROOT, "achieved %.1f%% of the offered rate", achieved / offered * 100));
    }
    if (p99Ms >= maxP99Ms) {
      reasons.add(String.format(Locale.ROOT, "p99 %.0f ms >= %.0f ms", p99Ms, maxP99Ms));
    }
    if (lagGrew(secondP50s)) {
      reasons.add(
          String.format(
              Locale.ROOT,
              "lag grew: p50 %.0f ms in the first third, %.0f ms in the last",
              firstThird(secondP50s),
              lastThird(secondP50s)));
    }
    return reasons;
  }

  static boolean lagGrew(List<Double> secondP50s) {
    return secondP50s.size() >= 3
        && lastThird(secondP50s) > firstThird(secondP50s) * LAG_GROWTH_FACTOR + LAG_GROWTH_SLACK_MS;
  }

  /** The median of the first third's per-second p50s; NaN if the window is too short. */
  static double firstThird(List<Double> secondP50s) {
    int third = secondP50s.size() / 3;
    return third == 0 ? Double.NaN : median(secondP50s.subList(0, third));
  }

  /** The median of the last third's per-second p50s; NaN if the window is too short. */
  static double lastThird(List<Double> secondP50s) {
    int third = secondP50s.size() / 3;
    return third == 0
        ? Double.NaN
        : median(secondP50s.subList(secondP50s.size() - third, secondP50s.size()));
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
