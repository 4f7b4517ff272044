package io.cachepipe.warmer;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class QueryTimeoutsTest {

  private long now = 1_000_000_000L;
  private final QueryTimeouts timeouts = new QueryTimeouts(() -> now);

  @Test
  void aStatementTimeoutAndAHungSocketCountButOtherFailuresDoNot() {
    assertThat(timeouts.record(new SQLException("canceling statement", "57014"))).isTrue();
    assertThat(
            timeouts.record(
                new SQLException(
                    "I/O error", "08006", new SocketTimeoutException("Read timed out"))))
        .isTrue();
    assertThat(timeouts.record(new SQLException("relation does not exist", "42P01"))).isFalse();
    assertThat(timeouts.record(new IllegalStateException("no"))).isFalse();

    assertThat(timeouts.total()).isEqualTo(2);
    assertThat(timeouts.lastMinute()).isEqualTo(2);
  }

  @Test
  void onlyTheLastMinuteIsRecent() {
    timeouts.record(new SQLException("canceling statement", "57014"));
    now += Duration.ofSeconds(45).toNanos();
    timeouts.record(new SQLException("canceling statement", "57014"));
    now += Duration.ofSeconds(30).toNanos();

    assertThat(timeouts.lastMinute()).isEqualTo(1);
    assertThat(timeouts.total()).isEqualTo(2);
  }
}
