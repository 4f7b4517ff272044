package io.cachepipe.core.kafka;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The dead-letter record format: the original key and value bytes, untouched, with headers saying
 * why and where the message came from.
 */
public final class DeadLetters {

  /** Header: why the message could not be processed. */
  public static final String REASON = "cachepipe.reason";

  /** Header: the stage that gave up on it. */
  public static final String STAGE = "cachepipe.stage";

  /** Header: topic, partition and offset it was read from, when it was read from Kafka. */
  public static final String SOURCE = "cachepipe.source";

  private static final int MAX_REASON = 2_000;

  private DeadLetters() {}

  /** The headers of a dead letter. */
  public static Headers headers(String stage, String reason, String source) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(STAGE, stage.getBytes(StandardCharsets.UTF_8));
    headers.add(REASON, truncate(reason).getBytes(StandardCharsets.UTF_8));
    if (source != null) {
      headers.add(SOURCE, source.getBytes(StandardCharsets.UTF_8));
    }
    return headers;
  }

  /** A dead-letter record for {@code topic}. */
  public static ProducerRecord<byte[], byte[]> record(
      String topic, byte[] key, byte[] value, String stage, String reason, String source) {
    return new ProducerRecord<>(topic, null, key, value, headers(stage, reason, source));
  }

  /**
   * {@code text} as UTF-8, cut to at most {@code maxBytes} at a character's end when longer, and
   * then ending in a note of how much was left out: the value of a dead letter that describes what
   * could not be processed (a record of any size) must itself fit in a message.
   */
  public static byte[] description(String text, int maxBytes) {
    byte[] whole = text.getBytes(StandardCharsets.UTF_8);
    if (whole.length <= maxBytes) {
      return whole;
    }
    String note = "… (" + whole.length + " bytes in all)";
    int room = Math.max(0, maxBytes - note.getBytes(StandardCharsets.UTF_8).length);
    int end = room;
    while (end > 0 && (whole[end] & 0xC0) == 0x80) {
      end--; // not inside a character's bytes
    }
    return (new String(whole, 0, end, StandardCharsets.UTF_8) + note)
        .getBytes(StandardCharsets.UTF_8);
  }

  /** Reads a header as text, or null. */
  public static String header(Headers headers, String name) {
    var header = headers.lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  private static String truncate(String reason) {
    String r = reason == null ? "unknown" : reason;
    return r.length() <= MAX_REASON ? r : r.substring(0, MAX_REASON) + "…";
  }
}
