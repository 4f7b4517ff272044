package io.cachepipe.cdc;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.Op;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Turns a Debezium change record (the Connect {@link Struct} envelope, no JSON converter in
 * between) into a {@link ChangeEvent}.
 */
final class ChangeMapper {

  private ChangeMapper() {}

  /** Whether {@code record} is a heartbeat: it carries no change, only an offset to commit. */
  static boolean isHeartbeat(SourceRecord record) {
    return record.topic() != null
        && record.topic().startsWith(DebeziumProperties.HEARTBEAT_TOPIC_PREFIX);
  }

  /**
   * Whether {@code record} is a logical decoding message ({@code pg_logical_emit_message}), such as
   * a read-your-writes token's: it carries a position, not a change.
   */
  static boolean isLogicalMessage(SourceRecord record) {
    return record.value() instanceof Struct envelope
        && envelope.schema().field("op") != null
        && "m".equals(envelope.getString("op"));
  }

  /**
   * The WAL position the engine reached with {@code record}, from its offset; -1 if it has none.
   */
  static long position(SourceRecord record) {
    Map<String, ?> offset = record.sourceOffset();
    return offset != null && offset.get("lsn") instanceof Number lsn ? lsn.longValue() : -1;
  }

  /**
   * Maps a data change record.
   *
   * @throws IllegalArgumentException if the record is not a Debezium change envelope
   */
  static ChangeEvent map(SourceRecord record) {
    if (!(record.value() instanceof Struct envelope)) {
      throw new IllegalArgumentException(
          "not a change envelope: value is "
              + (record.value() == null ? "null" : record.value().getClass().getName()));
    }
    Struct source = envelope.getStruct("source");
    String op = envelope.getString("op");
    if (source == null || op == null) {
      throw new IllegalArgumentException("not a change envelope: no 'source' or 'op'");
    }
    String table = source.getString("schema") + "." + source.getString("table");
    Map<String, Object> key =
        record.key() instanceof Struct keyStruct ? toMap(keyStruct) : Map.of();
    Map<String, Object> before = toMap(envelope.getStruct("before"));
    Map<String, Object> after = toMap(envelope.getStruct("after"));
    Long lsn = (Long) source.get("lsn");
    Long txId = (Long) source.get("txId");
    long ownLsn = lsn == null ? 0 : lsn;
    return ChangeEvent.of(
        Op.fromWire(op),
        table,
        key,
        before,
        after,
        ownLsn,
        commitPosition(source, ownLsn),
        commitMicros(source),
        txId == null ? 0 : txId);
  }

  /**
   * The position that orders the change's transaction by commit ({@link ChangeEvent#commitLsn}).
   *
   * <p>Debezium's PostgreSQL connector does not pass on the commit LSN that pgoutput's BEGIN
   * message carries (its decoder only logs it). What it does give every change is {@code
   * source.sequence}, {@code ["<lastCommitLsn>","<lsn>"]}: the first is the WAL position of the
   * last commit it streamed before this change (set when a COMMIT, or a non-transactional logical
   * decoding message, is processed; restored from the stored offset's {@code lsn_commit} on a
   * restart). Logical decoding streams whole transactions in commit order, so that position is the
   * same for every change of one transaction, lies before the transaction's own commit, and is at
   * or after the commit of every transaction streamed before it: it orders transactions exactly as
   * their commits do. Only the first transaction after a start without stored offsets has none; it
   * takes the change's own LSN, which still lies below every later transaction's position.
   */
  static long commitPosition(Struct source, long ownLsn) {
    if (source.schema().field("sequence") == null) {
      return ownLsn;
    }
    String sequence = source.getString("sequence");
    if (sequence == null || !sequence.startsWith("[\"")) {
      return ownLsn; // [null,"..."]: no commit streamed since the engine started
    }
    int end = sequence.indexOf('"', 2);
    try {
      return end > 2 ? Long.parseLong(sequence, 2, end, 10) : ownLsn;
    } catch (NumberFormatException e) {
      return ownLsn;
    }
  }

  private static long commitMicros(Struct source) {
    if (source.schema().field("ts_us") != null) {
      Long micros = source.getInt64("ts_us");
      if (micros != null) {
        return micros;
      }
    }
    return source.getInt64("ts_ms") * 1000;
  }

  static Map<String, Object> toMap(Struct struct) {
    if (struct == null) {
      return null;
    }
    Map<String, Object> map = new LinkedHashMap<>();
    for (Field field : struct.schema().fields()) {
      map.put(field.name(), toJsonValue(struct.get(field)));
    }
    return map;
  }

  private static Object toJsonValue(Object value) {
    if (value instanceof Struct struct) {
      return toMap(struct);
    }
    if (value instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      list.forEach(item -> out.add(toJsonValue(item)));
      return out;
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach((k, v) -> out.put(String.valueOf(k), toJsonValue(v)));
      return out;
    }
    if (value instanceof byte[] bytes) {
      return Base64.getEncoder().encodeToString(bytes);
    }
    if (value instanceof ByteBuffer buffer) {
      byte[] bytes = new byte[buffer.remaining()];
      buffer.duplicate().get(bytes);
      return Base64.getEncoder().encodeToString(bytes);
    }
    return value; // String, Number, Boolean, null: JSON as they are
  }
}
