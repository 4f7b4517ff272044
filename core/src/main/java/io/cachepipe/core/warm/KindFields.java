package io.cachepipe.core.warm;

import io.cachepipe.core.config.ConfigField;
import java.time.Duration;
import java.util.List;

/** The typed keys of one warm kind, {@code cachepipe.warm.<name>.*}. */
record KindFields(
    ConfigField<String> key,
    ConfigField<List<String>> tags,
    ConfigField<String> query,
    ConfigField<Duration> ttl,
    ConfigField<String> shape,
    ConfigField<String> batchQuery,
    ConfigField<String> batchKeyColumn,
    ConfigField<Integer> batchSize) {

  static KindFields of(String name) {
    String base = WarmableEntry.PREFIX + name + ".";
    return new KindFields(
        ConfigField.string(
            base + "key",
            null,
            "Template of the kind's cache keys (cp:user_stats:{author_id}); its placeholders bind"
                + " the queries' parameters and the tags."),
        ConfigField.list(
            base + "tags",
            null,
            "Comma-separated tag templates of an entry (user:{author_id}), from the key's"
                + " placeholders."),
        ConfigField.string(
            base + "query",
            null,
            "SQL with :named parameters from the key's placeholders; its result is the entry's"
                + " value (see shape)."),
        ConfigField.millis(
            base + "ttl.ms", 300_000, 1, "How long a warmed entry lives without an eviction."),
        ConfigField.oneOf(
            base + "shape",
            Shape.ROW.label(),
            List.of(Shape.ROW.label(), Shape.LIST.label()),
            "row: the first row as a JSON object of its columns (no row: nothing is cached);"
                + " list: every row as a JSON array, of values when the query returns one"
                + " column, else of objects (no row: [])."),
        ConfigField.string(
            base + "batch.query",
            "",
            "SQL that recomputes many entries of the kind at once: its one :named parameter is"
                + " bound to a PostgreSQL array of their key values (WHERE author_id ="
                + " ANY(:author_ids)), and each row carries its entry's key value in the key"
                + " column. Empty: one query per entry."),
        ConfigField.string(
            base + "batch.key.column",
            "",
            "The batch query's column holding each row's key value (compared as text); not part"
                + " of the value. Empty: the key's placeholder."),
        ConfigField.integer(
            base + "batch.size", 100, 2, 10_000, "Entries one batch query recomputes, at most."));
  }

  List<ConfigField<?>> all() {
    return List.of(key, tags, query, ttl, shape, batchQuery, batchKeyColumn, batchSize);
  }

  /** The field names below {@code cachepipe.warm.<name>.}. */
  List<String> names() {
    String base = key.name().substring(0, key.name().length() - "key".length());
    return all().stream().map(f -> f.name().substring(base.length())).toList();
  }
}
