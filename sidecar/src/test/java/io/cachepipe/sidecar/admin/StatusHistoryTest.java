package io.cachepipe.sidecar.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StatusHistoryTest {

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final AtomicLong evictions = new AtomicLong();
  private final Timer latency =
      Timer.builder(PipelineMeters.LATENCY)
          .publishPercentileHistogram()
          .minimumExpectedValue(Duration.ofMillis(1))
          .maximumExpectedValue(Duration.ofSeconds(60))
          .register(registry);

  StatusHistoryTest() {
    FunctionCounter.builder(PipelineMeters.EVICTIONS, evictions, AtomicLong::get)
        .register(registry);
  }

  @Test
  void quantileInterpolatesWithinItsBucketAsHistogramQuantileDoes() {
    double[] bounds = {1, 2, 4};
    long[] cumulative = {0, 10, 10};

    assertThat(StatusHistory.quantile(bounds, cumulative, 10, 0.5)).isEqualTo(1.5);
    assertThat(StatusHistory.quantile(bounds, cumulative, 10, 1.0)).isEqualTo(2.0);
    assertThat(StatusHistory.quantile(bounds, new long[] {0, 0, 0}, 1, 0.5))
        .as("beyond the last bucket")
        .isEqualTo(4.0);
  }

  @Test
  void eachPointHasTheRatesAndPercentilesOfItsOwnInterval() {
    StatusHistory history = new StatusHistory(registry, Duration.ofSeconds(2));
    history.sample(0);
    record(100, 10);
    evictions.addAndGet(100);
    history.sample(2_000);
    record(100, 200);
    evictions.addAndGet(10);
    history.sample(4_000);

    var samples = history.samples();
    assertThat(samples).hasSize(2);
    assertThat(samples.get(0).evictionsPerSecond()).isEqualTo(50.0);
    assertThat(samples.get(0).latencyP50Ms()).isCloseTo(10.0, within(1.5));
    assertThat(samples.get(1).evictionsPerSecond()).isEqualTo(5.0);
    assertThat(samples.get(1).latencyP99Ms())
        .as("the earlier interval's fast evictions do not count")
        .isCloseTo(200.0, within(25.0));
  }

  @Test
  void figuresWithNothingToMeasureAreNull() {
    StatusHistory history = new StatusHistory(registry, Duration.ofSeconds(2));
    history.sample(0);
    history.sample(2_000);

    var sample = history.samples().get(0);
    assertThat(sample.evictionsPerSecond()).isZero();
    assertThat(sample.changesPerSecond()).as("no cdc or invalidator meters").isNull();
    assertThat(sample.latencyP50Ms()).isNull();
    assertThat(sample.hitRatio()).as("no reads").isNull();
    assertThat(sample.slotRetainedBytes()).isNull();
  }

  @Test
  void keepsFiveMinutes() {
    StatusHistory history = new StatusHistory(registry, Duration.ofSeconds(2));
    for (int i = 0; i <= 200; i++) {
      history.sample(i * 2_000L);
    }
    assertThat(history.samples()).hasSize(150);
    assertThat(history.samples().get(149).t()).isEqualTo(400_000L);
  }

  private void record(int count, long millis) {
    for (int i = 0; i < count; i++) {
      latency.record(millis, TimeUnit.MILLISECONDS);
    }
  }
}
