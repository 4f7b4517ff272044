package io.cachepipe.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class HotTagTimelineTest {

  @Test
  void anUpdateWaitsForTheFirstEvictionWhoseChangeCommittedAfterItBegan() {
    // {before commit, after commit} ms; {applied ms, change commit µs}
    List<long[]> updates = List.of(new long[] {1_000, 1_004}, new long[] {1_010, 1_012});
    List<long[]> evictions =
        List.of(
            new long[] {1_003, 999_000}, // a change from before the first update: covers nothing
            new long[] {1_020, 1_002_000}, // covers the first update
            new long[] {1_050, 1_011_000}); // covers the second

    assertThat(HotTagTimeline.coveringLatencies(updates, evictions)).containsExactly(16, 38);
  }

  @Test
  void anUpdateNoEvictionCoversIsLeftOut() {
    List<long[]> updates = List.of(new long[] {1_000, 1_004}, new long[] {2_000, 2_001});
    List<long[]> evictions = List.<long[]>of(new long[] {1_020, 1_002_000});

    assertThat(HotTagTimeline.coveringLatencies(updates, evictions)).containsExactly(16);
  }

  @Test
  void percentilesOfNothingAreMinusOne() {
    assertThat(HotTagTimeline.percentile(new long[0], 0.5)).isEqualTo(-1);
    assertThat(HotTagTimeline.percentile(new long[] {1, 2, 3, 4}, 0.5)).isEqualTo(3);
  }
}
