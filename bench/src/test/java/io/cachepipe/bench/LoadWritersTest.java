package io.cachepipe.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

class LoadWritersTest {

  @Test
  void transactionsAreDueEvenlyAtTheOfferedRate() {
    assertThat(LoadWriters.dueNanos(0, 200)).isZero();
    assertThat(LoadWriters.dueNanos(1, 200)).isEqualTo(5_000_000L);
    assertThat(LoadWriters.dueNanos(400, 200)).isEqualTo(2_000_000_000L);
  }

  @Test
  void aRateThatIsNotPositiveHasNoDueTime() {
    assertThatThrownBy(() -> LoadWriters.dueNanos(1, 0)).hasMessageContaining("got 0.0");
    assertThatThrownBy(() -> LoadWriters.dueNanos(1, Double.NaN)).hasMessageContaining("NaN");
  }

  /**
   * The idle step ({@code --rate 0}): a writer returns at once, writing nothing and opening no
   * connection (this URL has no server). It used to park until the end of time after its first row,
   * and the step never stopped.
   */
  @Test
  void aWriterAtRateZeroWritesNothingAndReturns() throws Exception {
    LongAdder rows = new LongAdder();

    LoadWriters.write(
        "jdbc:postgresql://127.0.0.1:1/nothing",
        "nobody",
        "",
        1,
        1,
        0,
        10,
        new AtomicBoolean(true),
        rows);

    assertThat(rows.sum()).isZero();
  }
}
