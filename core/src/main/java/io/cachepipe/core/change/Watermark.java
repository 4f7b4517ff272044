package io.cachepipe.core.change;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.cachepipe.core.json.JsonContract;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * A progress marker: "every transaction that committed before WAL position {@code lsn} is already
 * in this partition, ahead of this record".
 *
 * <p>The cdc-connector writes one to every partition of the changes topic, after Kafka acknowledged
 * the changes before it; the invalidator passes it on to every partition of the invalidations topic
 * once the tags of those changes are ahead of it (coalesced tags hold it back); the eviction step
 * records, per pair of partitions, the highest marker it has applied. The lowest of those is the
 * read-your-writes watermark: every change committed before it has been evicted in Redis.
 *
 * <p>Why the claim holds: logical decoding streams transactions in commit order, so when a record
 * at position L has been streamed, every transaction whose commit record lies before L was streamed
 * before it.
 *
 * <p>Markers travel on the public invalidations topic too. They carry the header {@value
 * #TYPE_HEADER} = {@value #TYPE} and the key {@value #KEY}; consumers that want only invalidations
 * skip them.
 *
 * @param version schema version ({@link #SCHEMA_VERSION})
 * @param lsn the WAL position every earlier commit is ahead of
 * @param source the changes-topic partition the marker came through
 * @param sources how many partitions the changes topic has
 */
public record Watermark(
    @JsonProperty("v") int version,
    @JsonProperty("type") String type,
    @JsonProperty("lsn") long lsn,
    @JsonProperty("source") int source,
    @JsonProperty("sources") int sources)
    implements InvalidationsRecord {

  public static final int SCHEMA_VERSION = 1;
  public static final String TYPE = "watermark";
  public static final String TYPE_HEADER = "cachepipe.type";
  public static final String KEY = "cachepipe:watermark";

  /**
   * Prefix of the logical decoding message a read-your-writes token puts in the WAL after its
   * commit, so that the stream reaches the token's position even when no other change follows.
   */
  public static final String MESSAGE_PREFIX = "cachepipe";

  /**
   * The most partitions a changes topic may have: {@code sources} above it is forged, and would
   * overflow the count of watermark parts (invalidations partitions times sources).
   */
  public static final int MAX_SOURCES = 10_000;

  public static final JsonContract<Watermark> CONTRACT =
      new JsonContract<>("watermark", Watermark.class, SCHEMA_VERSION, Watermark::version);

  private static final byte[] TYPE_BYTES = TYPE.getBytes(StandardCharsets.UTF_8);

  public Watermark {
    if (!TYPE.equals(type)) {
      throw new IllegalArgumentException("field 'type' must be '" + TYPE + "', not " + type);
    }
    if (sources < 1 || sources > MAX_SOURCES) {
      throw new IllegalArgumentException(
          "field 'sources' " + sources + " is out of range: expected 1 to " + MAX_SOURCES);
    }
    if (source < 0 || source >= sources) {
      throw new IllegalArgumentException(
          "field 'source' " + source + " must lie in [0, sources " + sources + ")");
    }
    WalPositions.check("lsn", lsn);
  }

  public static Watermark of(long lsn, int source, int sources) {
    return new Watermark(SCHEMA_VERSION, TYPE, lsn, source, sources);
  }

  @Override
  public byte[] encode() {
    return CONTRACT.encode(this);
  }

  @Override
  public void handle(Consumer<Invalidation> invalidation, Consumer<Watermark> watermark) {
    watermark.accept(this);
  }

  /** Headers that mark a record as a watermark. */
  public static Headers headers() {
    return new RecordHeaders().add(TYPE_HEADER, TYPE_BYTES);
  }

  /** Whether a record with these headers is a watermark rather than a change or invalidation. */
  public static boolean isWatermark(Headers headers) {
    if (headers == null) {
      return false;
    }
    Header type = headers.lastHeader(TYPE_HEADER);
    return type != null && java.util.Arrays.equals(type.value(), TYPE_BYTES);
  }
}
