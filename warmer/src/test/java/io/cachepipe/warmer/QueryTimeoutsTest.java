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
    assertThat(timeouts.record("user_stats", new SQLException("canceling statement", "57014")))
        .isTrue();
    assertThat(
            timeouts.record(
                "user_stats",
                new SQLException(
                    "I/O error", "08006", new SocketTimeoutException("Read timed out"))))
        .isTrue();
    assertThat(timeouts.record("user_stats", new SQLException("relation does not exist", "42P01")))
        .isFalse();
    assertThat(timeouts.record("user_stats", new IllegalStateException("no"))).isFalse();

    assertThat(timeouts.total()).isEqualTo(2);
    assertThat(timeouts.lastMinute()).isEqualTo(2);
  }

  @Test
  void onlyTheLastMinuteIsRecent() {
    timeouts.record("user_stats", new SQLException("canceling statement", "57014"));
    now += Duration.ofSeconds(45).toNanos();
    timeouts.record("user_stats", new SQLException("canceling statement", "57014"));
    now += Duration.ofSeconds(30).toNanos();

    assertThat(timeouts.lastMinute()).isEqualTo(1);
    assertThat(timeouts.total()).isEqualTo(2);
  }

  @Test
  void aKindHangsUntilOneOfItsQueriesAnswersInTime() {
    SQLException timeout = new SQLException("canceling statement", "57014");
    timeouts.record("user_stats", timeout);
    timeouts.record("user_posts", timeout);
    timeouts.record("user_stats", new SQLException("relation does not exist", "42P01"));
    assertThat(timeouts.hangingKinds()).containsExactly("user_posts", "user_stats");

    timeouts.answered("user_stats");

    assertThat(timeouts.hangingKinds()).containsExactly("user_posts");
    assertThat(timeouts.lastMinute()).as("the minute still counts them").isEqualTo(2);
    assertThat(timeouts.trouble(2))
        .isEqualTo("warm queries of user_posts time out: 2 timeouts in the last minute");
    assertThat(timeouts.trouble(3)).as("fewer timeouts than troubling").isNull();

    timeouts.answered("user_posts");

    assertThat(timeouts.trouble(1)).as("no kind hangs").isNull();
  }
}
