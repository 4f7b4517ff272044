package io.cachepipe.core.change;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * How a change too big for Kafka was cut down so that it could still be published (and its tags
 * evicted): the record carries the header {@value #HEADER} with the wire name of one of these. A
 * change without the header is complete.
 */
public enum Reduced {
  /** Both images keep only the primary key and the columns the tag rules read. */
  RULE_COLUMNS("rule-columns"),
  /**
   * Both images keep only the primary key: even the rule columns were too big. Only rules that read
   * nothing but the key can render, and an update counts as changing every column.
   */
  KEY_ONLY("key-only");

  /** Header of a reduced change on the changes topic. */
  public static final String HEADER = "cachepipe.reduced";

  private final String wireName;

  Reduced(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  /** The header value of this reduction. */
  public byte[] headerValue() {
    return wireName.getBytes(StandardCharsets.UTF_8);
  }

  /** The reduction a record's headers name; empty for a complete change (or an unknown name). */
  public static Optional<Reduced> of(Headers headers) {
    Header header = headers == null ? null : headers.lastHeader(HEADER);
    if (header == null || header.value() == null) {
      return Optional.empty();
    }
    String name = new String(header.value(), StandardCharsets.UTF_8);
    for (Reduced reduced : values()) {
      if (reduced.wireName.equals(name)) {
        return Optional.of(reduced);
      }
    }
    return Optional.empty();
  }

  /**
   * {@code change} with both images cut down to its key columns and, for {@link #RULE_COLUMNS},
   * {@code ruleColumns}.
   */
  public ChangeEvent apply(ChangeEvent change, Set<String> ruleColumns) {
    Set<String> keep = this == KEY_ONLY ? Set.of() : ruleColumns;
    return ChangeEvent.of(
        change.op(),
        change.table(),
        change.key(),
        keepOnly(change.before(), change.key(), keep),
        keepOnly(change.after(), change.key(), keep),
        change.lsn(),
        change.commitLsn(),
        change.commitMicros(),
        change.txId());
  }

  private static Map<String, Object> keepOnly(
      Map<String, Object> image, Map<String, Object> key, Set<String> columns) {
    if (image == null) {
      return null;
    }
    Map<String, Object> kept = new LinkedHashMap<>();
    image.forEach(
        (column, value) -> {
          if (key.containsKey(column) || columns.contains(column)) {
            kept.put(column, value);
          }
        });
    return kept;
  }
}
