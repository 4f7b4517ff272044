package io.cachepipe.sidecar.admin;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PipelineHealthTest {

  private static final long NOW_MILLIS = 1_800_000_000_000L;

  private static long micros(long millisAgo) {
    return (NOW_MILLIS - millisAgo) * 1_000;
  }

  @Test
  void nothingIsUnevictedOnceTheNewestCapturedCommitIsEvicted() {
    assertThat(PipelineHealth.oldestUnevicted(micros(5_000), micros(5_000), NOW_MILLIS)).isZero();
    assertThat(PipelineHealth.oldestUnevicted(micros(5_000), micros(4_000), NOW_MILLIS)).isZero();
    assertThat(PipelineHealth.oldestUnevicted(0, 0, NOW_MILLIS)).as("nothing captured").isZero();
  }

  @Test
  void behindTheCaptureTheBoundIsTheAgeOfTheNewestEvictedCommit() {
    assertThat(PipelineHealth.oldestUnevicted(micros(2_000), micros(8_000), NOW_MILLIS))
        .isEqualTo(8_000);
  }

  @Test
  void beforeTheFirstEvictionTheBoundIsTheAgeOfTheNewestCapturedCommit() {
    assertThat(PipelineHealth.oldestUnevicted(micros(3_000), 0, NOW_MILLIS)).isEqualTo(3_000);
  }
}
