package io.cachepipe.core.change;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.cachepipe.core.json.Json;
import io.cachepipe.core.json.JsonContract;
import java.util.Map;

/**
 * One committed row change, as the cdc-connector writes it to the changes topic.
 *
 * @param version schema version of this message ({@link #SCHEMA_VERSION})
 * @param op what happened
 * @param table schema-qualified table name ({@code public.posts})
 * @param key primary key columns and values
 * @param before the row before the change (null for inserts; complete only with REPLICA IDENTITY
 *     FULL)
 * @param after the row after the change (null for deletes)
 * @param lsn PostgreSQL log sequence number of the change itself; along a tag it can go backwards
 *     (a long transaction's early change has a lower LSN than changes of transactions that
 *     committed before it), so nothing orders changes by it
 * @param commitLsn the commit position of the change's transaction ({@link #commitLsn()})
 * @param commitMicros commit time of its transaction, microseconds since the epoch
 * @param txId PostgreSQL transaction id
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChangeEvent(
    @JsonProperty("v") int version,
    @JsonProperty("op") Op op,
    @JsonProperty("table") String table,
    @JsonProperty("key") Map<String, Object> key,
    @JsonProperty("before") Map<String, Object> before,
    @JsonProperty("after") Map<String, Object> after,
    @JsonProperty("lsn") long lsn,
    @JsonProperty("commit_lsn") @JsonSetter(nulls = Nulls.AS_EMPTY) long commitLsn,
    @JsonProperty("commit_ts_us") long commitMicros,
    @JsonProperty("tx_id") long txId) {

  public static final int SCHEMA_VERSION = 1;

  /**
   * Debezium's placeholder for an unchanged TOASTed column it could not read; never a real value.
   */
  public static final String UNAVAILABLE_VALUE = "__debezium_unavailable_value";

  /** The changes topic's message contract. */
  public static final JsonContract<ChangeEvent> CONTRACT =
      new JsonContract<>("change event", ChangeEvent.class, SCHEMA_VERSION, ChangeEvent::version);

  public ChangeEvent {
    if (op == null) {
      throw new IllegalArgumentException("missing field 'op'");
    }
    if (table == null || table.isBlank()) {
      throw new IllegalArgumentException("missing field 'table'");
    }
    if (before == null && after == null) {
      throw new IllegalArgumentException("a change needs a 'before' or an 'after' image");
    }
    key = key == null ? Map.of() : key;
    WalPositions.check("lsn", lsn);
    // Written before the field existed: its own position is the best there is (see commitLsn()).
    commitLsn = WalPositions.check("commit_lsn", commitLsn > 0 ? commitLsn : lsn);
  }

  /**
   * The position that orders this change's transaction among all others by commit: equal for every
   * change of one transaction, and strictly greater for a transaction that committed later. Every
   * fence that orders changes compares this, never {@link #lsn()}. The cdc-connector takes it from
   * Debezium (see {@code docs/invalidations.md}, field {@code commit_lsn}); a message written
   * without it reads its own {@link #lsn()} here, which still lies below the position of every
   * transaction captured after it.
   */
  @Override
  public long commitLsn() {
    return commitLsn;
  }

  /** A change of the current schema version. */
  public static ChangeEvent of(
      Op op,
      String table,
      Map<String, Object> key,
      Map<String, Object> before,
      Map<String, Object> after,
      long lsn,
      long commitLsn,
      long commitMicros,
      long txId) {
    return new ChangeEvent(
        SCHEMA_VERSION, op, table, key, before, after, lsn, commitLsn, commitMicros, txId);
  }

  /**
   * A change that is its transaction's only one, in tests and tools: its commit position is taken
   * to be its own {@code lsn}. The cdc-connector never uses it.
   */
  public static ChangeEvent of(
      Op op,
      String table,
      Map<String, Object> key,
      Map<String, Object> before,
      Map<String, Object> after,
      long lsn,
      long commitMicros,
      long txId) {
    return of(op, table, key, before, after, lsn, lsn, commitMicros, txId);
  }

  /**
   * The Kafka record key of this change: the table and its primary key, so that all changes of one
   * row keep their order in one partition.
   */
  public String recordKey() {
    try {
      return table + ":" + Json.mapper().writeValueAsString(key);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("primary key of " + table + " is not JSON", e);
    }
  }
}
