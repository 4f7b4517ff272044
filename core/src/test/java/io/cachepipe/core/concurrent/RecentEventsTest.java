package io.cachepipe.core.concurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RecentEventsTest {

  private final AtomicLong now = new AtomicLong(-7_300_000_000L); // nanoTime may be negative
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

  @Test
  void aStormIsCountedWholeInMemoryOfOneCounterASecond() {
    for (int i = 0; i < 1_000_000; i++) {
      events.record();
      now.addAndGet(30_000); // a million events in 30 s
    }

    assertThat(events.count()).isEqualTo(1_000_000);
    advanceSeconds(45);
    assertThat(events.count())
        .as("the first 15 s are over a minute old")
        .isBetween(450_000, 520_000);
  }

  @Test
  void aSlotReusedAfterTheWindowStartsAgainFromNothing() {
    events.record();
    advanceSeconds(60);
    events.record();

    assertThat(events.count()).isEqualTo(1);
  }

  @Test
  void theWindowIsWholeSeconds() {
    assertThatThrownBy(() -> new RecentEvents(Duration.ofMillis(1500), now::get))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("whole seconds");
  }

  private void advanceSeconds(long seconds) {
    now.addAndGet(Duration.ofSeconds(seconds).toNanos());
  }
}
