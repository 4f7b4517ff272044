package io.cachepipe.core.change;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cachepipe.core.json.MalformedMessageException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Anyone who can produce to cachepipe's topics can forge positions; those out of range are refused
 * where the message is read (so the stage dead-letters it), never carried on into Redis.
 */
class ForgedPositionsTest {

  @Test
  void aWatermarkAtOrAbove2To53IsMalformedNamingTheField() {
    for (String lsn : new String[] {"9223372036854775807", "9007199254740992", "-5"}) {
      assertThatThrownBy(() -> decode(watermark(lsn, 0, 1)))
          .isInstanceOf(MalformedMessageException.class)
          .hasMessageContaining("'lsn'");
    }
  }

  @Test
  void aWatermarkAtOrAbove2To63IsMalformed() {
    assertThatThrownBy(() -> decode(watermark("18446744073709551615", 0, 1)))
        .isInstanceOf(MalformedMessageException.class);
  }

  @Test
  void aWatermarkWithMoreSourcesThanAnyTopicHasIsMalformed() {
    assertThatThrownBy(() -> decode(watermark("10", 0, Integer.MAX_VALUE)))
        .isInstanceOf(MalformedMessageException.class)
        .hasMessageContaining("'sources'");
    assertThat(decode(watermark("10", 3, Watermark.MAX_SOURCES)).sources())
        .isEqualTo(Watermark.MAX_SOURCES);
  }

  @Test
  void aChangeOrInvalidationWithAForgedCommitPositionIsMalformed() {
    String change =
        "{\"v\":1,\"op\":\"u\",\"table\":\"public.posts\",\"key\":{\"id\":1},"
            + "\"after\":{\"id\":1},\"lsn\":5,\"commit_lsn\":9223372036854775807,"
            + "\"commit_ts_us\":1,\"tx_id\":1}";
    assertThatThrownBy(() -> ChangeEvent.CONTRACT.decode(bytes(change)))
        .isInstanceOf(MalformedMessageException.class)
        .hasMessageContaining("'commit_lsn'");
    String invalidation =
        "{\"v\":1,\"tag\":\"user:1\",\"table\":\"public.posts\",\"op\":\"u\","
            + "\"lsn\":9007199254740993,\"commit_ts_us\":1,\"tx_id\":1}";
    assertThatThrownBy(() -> Invalidation.CONTRACT.decode(bytes(invalidation)))
        .isInstanceOf(MalformedMessageException.class)
        .hasMessageContaining("'lsn'");
  }

  @Test
  void readersParseOnlyPositionsInRange() {
    assertThat(WalPositions.parse("123")).isEqualTo(123);
    assertThat(WalPositions.parse(Long.toString(WalPositions.MAX))).isEqualTo(WalPositions.MAX);
    assertThat(WalPositions.parse("9223372036854775808")).isEqualTo(-1);
    assertThat(WalPositions.parse("9007199254740992")).isEqualTo(-1);
    assertThat(WalPositions.parse("-1")).isEqualTo(-1);
    assertThat(WalPositions.parse("1e9")).isEqualTo(-1);
    assertThat(WalPositions.parse("")).isEqualTo(-1);
  }

  private static String watermark(String lsn, int source, int sources) {
    return "{\"v\":1,\"type\":\"watermark\",\"lsn\":"
        + lsn
        + ",\"source\":"
        + source
        + ",\"sources\":"
        + sources
        + "}";
  }

  private static Watermark decode(String json) {
    return Watermark.CONTRACT.decode(bytes(json));
  }

  private static byte[] bytes(String json) {
    return json.getBytes(StandardCharsets.UTF_8);
  }
}
