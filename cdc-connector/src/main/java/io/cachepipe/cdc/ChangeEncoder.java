package io.cachepipe.cdc;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.Reduced;
import io.cachepipe.core.tag.TagRules;
import java.util.Optional;

/**
 * Encodes a change for the changes topic within the size Kafka takes. A change too big whole (a 1.6
 * MB text column, or a 600 KB one in both images of a REPLICA IDENTITY FULL update) is cut down to
 * what the tag rules read, and if that is still too big to its key: it is still invalidated, and
 * capture never stops on it.
 */
final class ChangeEncoder {

  /**
   * An encoded change.
   *
   * @param value the bytes to publish; null when not even the key fits (dead-letter it)
   * @param reduced how it was cut down; null when whole
   */
  record Encoded(byte[] value, Reduced reduced) {}

  private final TagRules rules;
  private final int limit;

  /**
   * @param limit the largest value plus key, in bytes ({@link ChangeSizeLimit})
   */
  ChangeEncoder(TagRules rules, int limit) {
    this.rules = rules;
    this.limit = limit;
  }

  Encoded encode(ChangeEvent change, int keyBytes) {
    int room = limit - keyBytes;
    Optional<byte[]> whole = ChangeEvent.CONTRACT.encodeWithin(change, room);
    if (whole.isPresent()) {
      return new Encoded(whole.get(), null);
    }
    for (Reduced reduced : Reduced.values()) {
      Optional<byte[]> cut =
          ChangeEvent.CONTRACT.encodeWithin(
              reduced.apply(change, rules.columnsRead(change.table())), room);
      if (cut.isPresent()) {
        return new Encoded(cut.get(), reduced);
      }
    }
    return new Encoded(null, null);
  }

  int limit() {
    return limit;
  }
}
