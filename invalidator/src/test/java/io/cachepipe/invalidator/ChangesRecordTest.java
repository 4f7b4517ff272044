package io.cachepipe.invalidator;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.Op;
import io.cachepipe.core.change.Watermark;
import io.cachepipe.invalidator.ChangesRecord.Unreadable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/** The topology's source reads each changes record once, and never throws. */
class ChangesRecordTest {

  private final ChangesRecord.Reader reader = new ChangesRecord.Reader();
  private final List<Object> handed = new ArrayList<>();

  private void hand(ChangesRecord record) {
    record.handle(handed::add, handed::add, handed::add);
  }

  @Test
  void aRecordWithoutTheWatermarkHeaderIsAChange() {
    ChangeEvent change =
        ChangeEvent.of(Op.DELETE, "public.users", Map.of("id", 4), Map.of("id", 4), null, 9, 1, 2);

    hand(reader.deserialize("changes", new RecordHeaders(), ChangeEvent.CONTRACT.encode(change)));

    assertThat(handed).containsExactly(change);
  }

  @Test
  void aRecordWithTheWatermarkHeaderIsAWatermark() {
    Watermark watermark = Watermark.of(77, 1, 3);

    hand(reader.deserialize("changes", Watermark.headers(), watermark.encode()));

    assertThat(handed).containsExactly(watermark);
  }

  @Test
  void bytesThatAreNeitherAreKeptWithTheReason() {
    byte[] garbage = "not json".getBytes(StandardCharsets.UTF_8);

    hand(reader.deserialize("changes", new RecordHeaders(), garbage));
    hand(reader.deserialize("changes", Watermark.headers(), (byte[]) null));

    assertThat(handed).hasSize(2).allMatch(Unreadable.class::isInstance);
    Unreadable change = (Unreadable) handed.get(0);
    assertThat(change.value()).isSameAs(garbage);
    assertThat(change.reason()).contains("not JSON");
    assertThat(((Unreadable) handed.get(1)).reason()).contains("watermark");
  }
}
