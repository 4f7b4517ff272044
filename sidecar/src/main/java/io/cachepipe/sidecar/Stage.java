package io.cachepipe.sidecar;

import io.cachepipe.core.config.ConfigException;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The stages a sidecar can host. */
public enum Stage {
  CDC,
  INVALIDATOR,
  WARMER;

  /** Parses names such as {@code cdc,invalidator}; {@code all} means every stage. */
  public static Set<Stage> parse(String key, List<String> names) {
    Set<Stage> stages = EnumSet.noneOf(Stage.class);
    for (String name : names) {
      String n = name.trim().toLowerCase(Locale.ROOT);
      if (n.equals("all")) {
        return EnumSet.allOf(Stage.class);
      }
      try {
        stages.add(Stage.valueOf(n.toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw ConfigException.badValue(key, "stages out of all, cdc, invalidator, warmer", name);
      }
    }
    if (stages.isEmpty()) {
      throw ConfigException.badValue(key, "at least one stage (all, cdc, invalidator, warmer)", "");
    }
    return stages;
  }
}
