package io.cachepipe.sidecar.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StatusTotalsTest {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  /**
   * With the eviction at capture on, it deletes most entries and the eviction through Kafka finds
   * their tags already evicted: a count of the second alone told a reader that almost nothing was
   * deleted.
   */
  @Test
  void keysDeletedCountsBothEvictorsAndNamesTheShareAtCapture() {
    counter(PipelineMeters.KEYS_DELETED, 3);
    counter(PipelineMeters.EAGER_KEYS_DELETED, 40);

    var totals = StatusTotals.of(registry);

    assertThat(totals)
        .containsEntry("keys_deleted", 43L)
        .containsEntry("keys_deleted_at_capture", 40L);
  }

  @Test
  void withoutTheEvictionAtCaptureKeysDeletedAreTheKafkaPathsAndNoShareIsShown() {
    counter(PipelineMeters.KEYS_DELETED, 3);

    var totals = StatusTotals.of(registry);

    assertThat(totals)
        .containsEntry("keys_deleted", 3L)
        .doesNotContainKey("keys_deleted_at_capture");
  }

  private void counter(String name, long value) {
    FunctionCounter.builder(name, new AtomicLong(value), AtomicLong::get).register(registry);
  }
}
