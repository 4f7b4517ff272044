package io.cachepipe.core.concurrent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RecentEventsTest {

  private final AtomicLong now = new AtomicLong(1_000);
  private final RecentEvents events = new RecentEvents(Duration.ofSeconds(60), now::get);

  @Test
  void countsTheEventsOfTheWindowAndForgetsOlderOnes() {
    events.record();
    advanceSeconds(30);
    events.record();
    events.record();

    assertThat(events.count()).isEqualTo(3);
    advanceSeconds(31);
    assertThat(events.count()).as("the first is over a minute old").isEqualTo(2);
    advanceSeconds(30);
    assertThat(events.count()).isZero();
  }

  private void advanceSeconds(long seconds) {
    now.addAndGet(Duration.ofSeconds(seconds).toNanos());
  }
}
