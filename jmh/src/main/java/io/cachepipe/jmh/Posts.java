package io.cachepipe.jmh;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.Op;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Realistic rows and changes of the example domain's {@code public.posts}, as Debezium sees them.
 */
public final class Posts {

  private Posts() {}

  public static final String TABLE = "public.posts";
  public static final long LSN = 24_117_840_528L;
  public static final long COMMIT_MICROS = 1_764_064_800_123_456L;
  public static final long TX_ID = 48_213L;

  /** A body of a realistic length: a few hundred characters. */
  public static final String BODY =
      "Logical replication streams every committed row change in commit order. ".repeat(5).trim();

  /** One posts row, with every column of the example schema (timestamps as Debezium's text). */
  public static Map<String, Object> row(long id, long authorId, long viewCount) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("id", id);
    row.put("author_id", authorId);
    row.put("title", "Cache invalidation from the write-ahead log, part " + id);
    row.put("body", BODY);
    row.put("tags", List.of("postgres", "kafka", "redis"));
    row.put("is_published", true);
    row.put("is_deleted", false);
    row.put("like_count", 12);
    row.put("view_count", viewCount);
    row.put("created_at", "2026-11-20T09:14:02.512344Z");
    row.put("updated_at", "2026-11-25T10:00:00.123456Z");
    return row;
  }

  /** An update that moves post 7 from author 1 to author 2 (REPLICA IDENTITY FULL images). */
  public static ChangeEvent authorMove() {
    return ChangeEvent.of(
        Op.UPDATE,
        TABLE,
        Map.of("id", 7L),
        row(7, 1, 340),
        row(7, 2, 340),
        LSN,
        COMMIT_MICROS,
        TX_ID);
  }

  /** An update of post 7 that changes only its view count. */
  public static ChangeEvent viewBump() {
    return ChangeEvent.of(
        Op.UPDATE,
        TABLE,
        Map.of("id", 7L),
        row(7, 1, 340),
        row(7, 1, 341),
        LSN,
        COMMIT_MICROS,
        TX_ID);
  }
}
