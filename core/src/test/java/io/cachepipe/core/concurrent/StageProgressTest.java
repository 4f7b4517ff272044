package io.cachepipe.core.concurrent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class StageProgressTest {

  private Instant now = Instant.parse("2026-12-03T12:00:00Z");
  private final Clock clock =
      new Clock() {
        @Override
        public ZoneOffset getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return now;
        }
      };
  private final StageProgress progress = new StageProgress(clock);

  @Test
  void noTroubleUntilSomethingFails() {
    assertThat(progress.trouble()).isNull();
    assertThat(progress.lastProgress()).isEqualTo(now);
  }

  @Test
  void troubleCountsFromTheFirstFailureOfTheSameKindAndNamesTheLatestReason() {
    progress.failing("retrying Redis", "connection refused");
    now = now.plus(Duration.ofSeconds(7));
    progress.failing("retrying Redis", "LOADING Redis is loading the dataset in memory");
    now = now.plus(Duration.ofSeconds(5));

    assertThat(progress.trouble())
        .isEqualTo("retrying Redis for 12 s: LOADING Redis is loading the dataset in memory");
  }

  @Test
  void anotherKindOfTroubleStartsItsOwnClock() {
    progress.failing("retrying Redis", "connection refused");
    now = now.plus(Duration.ofSeconds(30));
    progress.failing("sending eviction reports", "timed out");
    now = now.plus(Duration.ofSeconds(2));

    assertThat(progress.trouble()).isEqualTo("sending eviction reports for 2 s: timed out");
  }

  @Test
  void progressEndsTheTroubleAndIsTimed() {
    Instant started = now;
    progress.failing("retrying Redis", "connection refused");
    now = now.plus(Duration.ofSeconds(3));
    assertThat(progress.lastProgress()).isEqualTo(started);

    progress.progressed();

    assertThat(progress.trouble()).isNull();
    assertThat(progress.lastProgress()).isEqualTo(now);
  }
}
