package io.cachepipe.core.change;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EvictionReportTest {

  private static final Invalidation INVALIDATION =
      Invalidation.of(
          "user:1",
          ChangeEvent.of(
              Op.UPDATE,
              "public.users",
              Map.of("id", 1),
              Map.of("id", 1),
              Map.of("id", 1),
              1,
              2,
              3));

  @ParameterizedTest
  @ValueSource(
      strings = {
        "cp:user:1",
        "cp:\"quoted\\key\"",
        "cp:tab\there\u0001\u001f",
        "cp:caf\u00e9:\u20ac",
        "cp:\ud83d\ude00:emoji",
        ""
      })
  void aKeysListedSizeIsAtLeastWhatItAddsToTheEncodedReport(String key) {
    int without = encodedSize(List.of("cp:other"));
    int with = encodedSize(List.of("cp:other", key));

    assertThat(EvictionReport.listedSize(key)).isGreaterThanOrEqualTo(with - without);
  }

  private static int encodedSize(List<String> keys) {
    return EvictionReport.CONTRACT.encode(EvictionReport.of(INVALIDATION, keys, keys.size(), false))
        .length;
  }

  @Test
  void theMostListedBytesLeaveRoomUnderKafkasDefaultMessageLimit() {
    assertThat(EvictionReport.MAX_LISTED_BYTES).isLessThan(1_048_576 - 64 * 1024);
  }
}
