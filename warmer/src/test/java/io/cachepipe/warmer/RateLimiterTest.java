package io.cachepipe.warmer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  @Test
  void aBurstOfOneSecondsWorthPassesThenPermitsArePacedAtTheRate() {
    RateLimiter limiter = new RateLimiter(10, now::get);

    for (int i = 0; i < 10; i++) {
      assertThat(limiter.reserve()).as("permit %d of the burst", i).isZero();
    }
    assertThat(limiter.reserve()).isEqualTo(100_000_000L); // the 11th waits 1/10 s
    assertThat(limiter.reserve()).isEqualTo(200_000_000L); // the 12th waits 2/10 s
  }

  @Test
  void permitsComeBackWithTimeButNeverBeyondTheBurst() {
    RateLimiter limiter = new RateLimiter(10, now::get);
    for (int i = 0; i < 10; i++) {
      limiter.reserve();
    }

    now.addAndGet(500_000_000L); // half a second: five permits back
    for (int i = 0; i < 5; i++) {
      assertThat(limiter.reserve()).isZero();
    }
    assertThat(limiter.reserve()).isPositive();

    now.addAndGet(60_000_000_000L); // a minute idle refills only one second's worth
    for (int i = 0; i < 10; i++) {
      assertThat(limiter.reserve()).isZero();
    }
    assertThat(limiter.reserve()).isPositive();
  }

  @Test
  void aRateMustBePositive() {
    assertThatThrownBy(() -> new RateLimiter(0, now::get))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
