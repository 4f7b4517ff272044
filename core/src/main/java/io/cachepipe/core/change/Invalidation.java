package io.cachepipe.core.change;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import io.cachepipe.core.json.JsonContract;
import java.util.function.Consumer;

/**
 * One tag to invalidate, as the invalidator writes it to the public invalidations topic (record
 * key: the tag). This is a versioned public contract: other services consume it.
 *
 * @param version schema version ({@link #SCHEMA_VERSION})
 * @param tag the invalidated tag ({@code user:42})
 * @param table the table whose change caused it
 * @param op the change's operation
 * @param lsn log sequence number of the change itself (not an order: see {@link ChangeEvent#lsn})
 * @param commitLsn the commit position of the change's transaction ({@link ChangeEvent#commitLsn}):
 *     what orders invalidations and evictions
 * @param commitMicros commit time of the change's transaction, microseconds since the epoch
 * @param txId PostgreSQL transaction id
 */
public record Invalidation(
    @JsonProperty("v") int version,
    @JsonProperty("tag") String tag,
    @JsonProperty("table") String table,
    @JsonProperty("op") Op op,
    @JsonProperty("lsn") long lsn,
    @JsonProperty("commit_lsn") @JsonSetter(nulls = Nulls.AS_EMPTY) long commitLsn,
    @JsonProperty("commit_ts_us") long commitMicros,
    @JsonProperty("tx_id") long txId)
    implements InvalidationsRecord {

  public static final int SCHEMA_VERSION = 1;

  /** The invalidations topic's message contract. */
  public static final JsonContract<Invalidation> CONTRACT =
      new JsonContract<>("invalidation", Invalidation.class, SCHEMA_VERSION, Invalidation::version);

  public Invalidation {
    if (tag == null || tag.isBlank()) {
      throw new IllegalArgumentException("missing field 'tag'");
    }
    if (table == null || table.isBlank()) {
      throw new IllegalArgumentException("missing field 'table'");
    }
    if (op == null) {
      throw new IllegalArgumentException("missing field 'op'");
    }
    WalPositions.check("lsn", lsn);
    // Written before the field existed: see ChangeEvent#commitLsn.
    commitLsn = WalPositions.check("commit_lsn", commitLsn > 0 ? commitLsn : lsn);
  }

  /**
   * Whether this invalidation can stand for {@code other} too: its transaction committed no earlier
   * (by {@link #commitLsn}). Of two invalidations of a tag, a coalescer keeps the one that does.
   */
  public boolean supersedes(Invalidation other) {
    return commitLsn >= other.commitLsn;
  }

  @Override
  public byte[] encode() {
    return CONTRACT.encode(this);
  }

  @Override
  public void handle(Consumer<Invalidation> invalidation, Consumer<Watermark> watermark) {
    invalidation.accept(this);
  }

  /** The invalidation of {@code tag} caused by {@code change}. */
  public static Invalidation of(String tag, ChangeEvent change) {
    return new Invalidation(
        SCHEMA_VERSION,
        tag,
        change.table(),
        change.op(),
        change.lsn(),
        change.commitLsn(),
        change.commitMicros(),
        change.txId());
  }
}
