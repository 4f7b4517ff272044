package io.cachepipe.core.change;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** What happened to a row. */
public enum Op {
  INSERT("insert"),
  UPDATE("update"),
  DELETE("delete"),
  /** A row read by a snapshot, not a change: treated like an insert. */
  SNAPSHOT("snapshot");

  private final String wireName;

  Op(String wireName) {
    this.wireName = wireName;
  }

  /** The name used in JSON messages. */
  @JsonValue
  public String wireName() {
    return wireName;
  }

  /** Parses a wire name; also accepts Debezium's one-letter codes (c, u, d, r). */
  @JsonCreator
  public static Op fromWire(String name) {
    return switch (name) {
      case "insert", "c" -> INSERT;
      case "update", "u" -> UPDATE;
      case "delete", "d" -> DELETE;
      case "snapshot", "r" -> SNAPSHOT;
      default -> throw new IllegalArgumentException("unknown op '" + name + "'");
    };
  }
}
