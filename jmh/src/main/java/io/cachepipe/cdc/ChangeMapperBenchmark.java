package io.cachepipe.cdc;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.jmh.Posts;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link ChangeMapper#map}: a Debezium Connect envelope to a {@link ChangeEvent}, per captured row.
 * In package {@code io.cachepipe.cdc} because the mapper is package-private.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class ChangeMapperBenchmark {

  private static final Schema KEY =
      SchemaBuilder.struct()
          .name("cachepipe.public.posts.Key")
          .field("id", Schema.INT64_SCHEMA)
          .build();

  /** The posts row as Debezium's PostgreSQL connector describes it (timestamptz as text). */
  private static final Schema ROW =
      SchemaBuilder.struct()
          .name("cachepipe.public.posts.Value")
          .optional()
          .field("id", Schema.INT64_SCHEMA)
          .field("author_id", Schema.INT64_SCHEMA)
          .field("title", Schema.STRING_SCHEMA)
          .field("body", Schema.STRING_SCHEMA)
          .field("tags", SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).build())
          .field("is_published", Schema.BOOLEAN_SCHEMA)
          .field("is_deleted", Schema.BOOLEAN_SCHEMA)
          .field("like_count", Schema.INT32_SCHEMA)
          .field("view_count", Schema.INT64_SCHEMA)
          .field(
              "created_at", SchemaBuilder.string().name("io.debezium.time.ZonedTimestamp").build())
          .field(
              "updated_at", SchemaBuilder.string().name("io.debezium.time.ZonedTimestamp").build())
          .build();

  /** Debezium's PostgreSQL source block. */
  private static final Schema SOURCE =
      SchemaBuilder.struct()
          .name("io.debezium.connector.postgresql.Source")
          .field("version", Schema.STRING_SCHEMA)
          .field("connector", Schema.STRING_SCHEMA)
          .field("name", Schema.STRING_SCHEMA)
          .field("ts_ms", Schema.INT64_SCHEMA)
          .field("snapshot", Schema.OPTIONAL_STRING_SCHEMA)
          .field("db", Schema.STRING_SCHEMA)
          .field("sequence", Schema.OPTIONAL_STRING_SCHEMA)
          .field("ts_us", Schema.OPTIONAL_INT64_SCHEMA)
          .field("ts_ns", Schema.OPTIONAL_INT64_SCHEMA)
          .field("schema", Schema.STRING_SCHEMA)
          .field("table", Schema.STRING_SCHEMA)
          .field("txId", Schema.OPTIONAL_INT64_SCHEMA)
          .field("lsn", Schema.OPTIONAL_INT64_SCHEMA)
          .field("xmin", Schema.OPTIONAL_INT64_SCHEMA)
          .build();

  private static final Schema ENVELOPE =
      SchemaBuilder.struct()
          .name("cachepipe.public.posts.Envelope")
          .field("before", ROW)
          .field("after", ROW)
          .field("source", SOURCE)
          .field("op", Schema.STRING_SCHEMA)
          .field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA)
          .field("ts_us", Schema.OPTIONAL_INT64_SCHEMA)
          .field("ts_ns", Schema.OPTIONAL_INT64_SCHEMA)
          .build();

  private SourceRecord authorMove;

  @Setup
  public void setUp() {
    long commitMillis = Posts.COMMIT_MICROS / 1000;
    Struct source =
        new Struct(SOURCE)
            .put("version", "3.6.1.Final")
            .put("connector", "postgresql")
            .put("name", "cachepipe")
            .put("ts_ms", commitMillis)
            .put("snapshot", "false")
            .put("db", "cachepipe")
            .put("sequence", "[\"24117840312\",\"" + Posts.LSN + "\"]")
            .put("ts_us", Posts.COMMIT_MICROS)
            .put("ts_ns", Posts.COMMIT_MICROS * 1000)
            .put("schema", "public")
            .put("table", "posts")
            .put("txId", Posts.TX_ID)
            .put("lsn", Posts.LSN)
            .put("xmin", null);
    Struct envelope =
        new Struct(ENVELOPE)
            .put("before", row(Posts.row(7, 1, 340)))
            .put("after", row(Posts.row(7, 2, 340)))
            .put("source", source)
            .put("op", "u")
            .put("ts_ms", commitMillis + 3)
            .put("ts_us", Posts.COMMIT_MICROS + 3_000)
            .put("ts_ns", (Posts.COMMIT_MICROS + 3_000) * 1000);
    authorMove =
        new SourceRecord(
            Map.of("server", "cachepipe"),
            Map.of("lsn", Posts.LSN, "txId", Posts.TX_ID),
            "cachepipe.public.posts",
            null,
            KEY,
            new Struct(KEY).put("id", 7L),
            ENVELOPE,
            envelope);
    ChangeEvent mapped = ChangeMapper.map(authorMove);
    if (!mapped.before().equals(Posts.row(7, 1, 340))
        || !mapped.after().equals(Posts.row(7, 2, 340))) {
      throw new IllegalStateException("unexpected mapping: " + mapped);
    }
  }

  private static Struct row(Map<String, Object> values) {
    Struct row = new Struct(ROW);
    values.forEach(row::put);
    return row;
  }

  /** A posts update with both images, as the connector maps each captured row. */
  @Benchmark
  public ChangeEvent map() {
    return ChangeMapper.map(authorMove);
  }

  /** The mapping and the JSON the connector writes to the changes topic: its whole per-row work. */
  @Benchmark
  public byte[] mapAndEncode() {
    return ChangeEvent.CONTRACT.encode(ChangeMapper.map(authorMove));
  }
}
