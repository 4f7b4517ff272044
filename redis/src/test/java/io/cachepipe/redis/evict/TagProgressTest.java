package io.cachepipe.redis.evict;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.EvictionReport;
import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.change.Op;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TagProgressTest {

  /** Kafka's default limit on a message (the producer's max.request.size, a topic's bytes). */
  private static final int KAFKA_DEFAULT_MESSAGE_BYTES = 1_048_576;

  @Test
  void aReportOfTenThousandLongKeysStaysUnderKafkasMessageLimitAndCountsEveryKey() {
    TagProgress progress = new TagProgress("author:1", 10);
    String padding = "x".repeat(200);
    for (int i = 0; i < 10_000; i++) {
      progress.live("cp:post:" + i + ":" + padding);
    }

    TagEvictor.EvictedTag done = progress.result();
    byte[] report =
        EvictionReport.CONTRACT.encode(
            EvictionReport.of(invalidation(), done.liveKeys(), done.liveCount(), done.skipped()));

    assertThat(done.liveCount()).isEqualTo(10_000);
    assertThat(done.liveKeys()).isNotEmpty().hasSizeLessThan(10_000);
    assertThat(done.liveKeys().get(0)).startsWith("cp:post:0:");
    assertThat(report.length).isLessThan(KAFKA_DEFAULT_MESSAGE_BYTES);
  }

  @Test
  void shortKeysAreListedUpToTheMostKeys() {
    TagProgress progress = new TagProgress("author:1", 10);
    for (int i = 0; i < EvictionReport.MAX_LISTED_KEYS + 5; i++) {
      progress.live("cp:post:" + i);
    }

    assertThat(progress.result().liveKeys()).hasSize(EvictionReport.MAX_LISTED_KEYS);
    assertThat(progress.result().liveCount()).isEqualTo(EvictionReport.MAX_LISTED_KEYS + 5);
  }

  private static Invalidation invalidation() {
    return Invalidation.of(
        "author:1",
        ChangeEvent.of(
            Op.UPDATE,
            "public.posts",
            Map.of("id", 1),
            Map.of("id", 1),
            Map.of("id", 1),
            10,
            10,
            3));
  }
}
