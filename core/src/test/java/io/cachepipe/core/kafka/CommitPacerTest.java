package io.cachepipe.core.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Commits follow processed batches, at most once per interval. */
class CommitPacerTest {

  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private final CommitPacer pacer = new CommitPacer(Duration.ofMillis(100), clock::get);

  private void advanceMillis(long millis) {
    clock.addAndGet(Duration.ofMillis(millis).toNanos());
  }

  @Test
  void nothingProcessedIsNeverDue() {
    advanceMillis(10_000);

    assertThat(pacer.due()).isFalse();
    assertThat(pacer.uncommitted()).isFalse();
  }

  @Test
  void aProcessedBatchIsDueOnceTheIntervalHasPassed() {
    pacer.processed();
    advanceMillis(99);
    assertThat(pacer.due()).as("99 ms after the start").isFalse();

    advanceMillis(1);
    assertThat(pacer.due()).as("100 ms after the start").isTrue();
    assertThat(pacer.uncommitted()).isFalse();
    assertThat(pacer.due()).as("right after that commit").isFalse();
  }

  @Test
  void batchesWithinAnIntervalShareOneCommit() {
    advanceMillis(100);
    pacer.processed();
    assertThat(pacer.due()).isTrue();

    for (int i = 0; i < 9; i++) {
      advanceMillis(10);
      pacer.processed();
      assertThat(pacer.due()).as("batch %d, %d ms after the commit", i, 10 * (i + 1)).isFalse();
    }
    advanceMillis(10);
    assertThat(pacer.uncommitted()).isTrue();
    assertThat(pacer.due()).as("100 ms after the last commit").isTrue();
  }

  @Test
  void aBatchAfterAQuietSpellIsDueAtOnce() {
    advanceMillis(5_000);
    pacer.processed();

    assertThat(pacer.due()).isTrue();
  }
}
