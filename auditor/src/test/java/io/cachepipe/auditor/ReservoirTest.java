package io.cachepipe.auditor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ReservoirTest {

  @Test
  void keepsEverythingWhileUnderCapacity() {
    Reservoir<Integer> r = new Reservoir<>(5, new SplittableRandom(1));
    for (int i = 0; i < 3; i++) {
      r.offer(i);
    }

    assertThat(r.items()).containsExactly(0, 1, 2);
    assertThat(r.offered()).isEqualTo(3);
  }

  @Test
  void neverHoldsMoreThanItsCapacity() {
    Reservoir<Integer> r = new Reservoir<>(4, new SplittableRandom(1));
    for (int i = 0; i < 10_000; i++) {
      r.offer(i);
    }

    assertThat(r.items()).hasSize(4).doesNotHaveDuplicates();
    assertThat(r.offered()).isEqualTo(10_000);
  }

  @Test
  void everyItemIsAboutEquallyLikelyToBeKept() {
    int items = 10;
    int trials = 20_000;
    int[] kept = new int[items];
    SplittableRandom random = new SplittableRandom(42);
    for (int t = 0; t < trials; t++) {
      Reservoir<Integer> r = new Reservoir<>(2, random);
      for (int i = 0; i < items; i++) {
        r.offer(i);
      }
      r.items().forEach(i -> kept[i]++);
    }
    // Each item is kept with probability 2/10: 4,000 of 20,000 trials, sd about 57.
    for (int i = 0; i < items; i++) {
      assertThat(kept[i]).as("item %d", i).isBetween(3_700, 4_300);
    }
  }

  @Test
  void aCapacityBelowOneIsRefused() {
    assertThatThrownBy(() -> new Reservoir<>(0, new SplittableRandom()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
