package io.cachepipe.sidecar;

import io.cachepipe.core.config.ConfigField;
import io.cachepipe.core.warm.WarmKinds;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The reference of every key, generated from the {@link ConfigField}s and {@link
 * SidecarConfig#SUBTREES}, so that it cannot drift from the code: as text for {@code config
 * --describe}, as Markdown for docs/configuration.md (a test fails when that file is stale).
 */
final class ConfigurationDoc {

  /** The command that regenerates docs/configuration.md. */
  static final String REGENERATE =
      "./cachepipe config --describe --markdown > docs/configuration.md";

  private ConfigurationDoc() {}

  /** Every key: name, type, default and description, then the key families. */
  static String text(List<ConfigField<?>> fields) {
    StringBuilder out = new StringBuilder();
    for (ConfigField<?> field : fields) {
      out.append(field.name()).append('\n');
      out.append("    ").append(type(field)).append("; default: ").append(defaultOf(field));
      out.append('\n');
      out.append("    ").append(field.description()).append("\n\n");
    }
    for (SidecarConfig.Subtree subtree : SidecarConfig.SUBTREES) {
      out.append(subtree.keys()).append('\n');
      out.append("    ").append(subtree.description()).append("\n\n");
    }
    for (ConfigField<?> field : WarmKinds.kindFields()) {
      out.append(field.name()).append('\n');
      out.append("    ").append(type(field)).append("; default: ").append(defaultOf(field));
      out.append('\n');
      out.append("    ").append(field.description()).append("\n\n");
    }
    return out.toString();
  }

  /** docs/configuration.md. */
  static String markdown(List<ConfigField<?>> fields) {
    StringBuilder out = new StringBuilder();
    out.append("# Configuration reference\n\n");
    out.append("<!-- Generated from the code by `")
        .append(REGENERATE)
        .append("`; ConfigurationDocTest fails when this file is stale. -->\n\n");
    out.append(
        "One properties file (`--config FILE`, see"
            + " [cachepipe.example.properties](../cachepipe.example.properties)), overridden by"
            + " environment variables (the key in upper case with dots as underscores:"
            + " `CACHEPIPE_REDIS_PASSWORD` sets `cachepipe.redis.password`), overridden by"
            + " command-line options. Every key is checked at start: a bad value, or an unknown"
            + " `cachepipe.*` key, stops cachepipe with one line that names the key (and the"
            + " closest known key). `./cachepipe config --print` shows the effective value of"
            + " every key and where it came from (default, file, env, override), secrets"
            + " masked.\n\n");
    out.append("## Keys\n\n");
    keysTable(out, fields);
    out.append("\n## Key families and pass-through\n\n");
    out.append("| keys | what |\n|---|---|\n");
    for (SidecarConfig.Subtree subtree : SidecarConfig.SUBTREES) {
      String keys =
          Arrays.stream(subtree.keys().split(", "))
              .map(k -> "`" + k + "`")
              .collect(Collectors.joining(", "));
      out.append("| ")
          .append(cell(keys))
          .append(" | ")
          .append(cell(subtree.description()))
          .append(" |\n");
    }
    out.append("\n## Keys of each warm kind\n\n");
    out.append(
        "A warm kind is an entry the warmer recomputes after its eviction and the auditor checks;"
            + " `<name>` is the kind's name (no dots). Its value is the query's result as JSON, the"
            + " same for the warmer and the auditor: smallint, integer, bigint and numeric as"
            + " numbers with every digit (`12.50`), real and double precision as numbers (NaN and"
            + " the infinities as the strings `\"NaN\"`, `\"Infinity\"`), boolean as true or false,"
            + " json and jsonb as the JSON value itself, arrays (of any type and dimension) as"
            + " arrays, timestamptz as an ISO-8601 instant in UTC whatever the session's time zone"
            + " (`2026-12-03T10:15:30Z`, `2026-12-03T10:15:30.500Z`, as Java's Instant writes it),"
            + " timestamp without time zone as the stored local date-time with no offset"
            + " (`2026-12-03T10:15:30.5`), date as `2026-12-03`, time as `10:15:30`, uuid as its"
            + " text, bytea as base64, NULL as null, any other type as its PostgreSQL text.\n\n");
    keysTable(out, WarmKinds.kindFields());
    return out.toString();
  }

  private static void keysTable(StringBuilder out, List<ConfigField<?>> fields) {
    out.append("| key | type | default | description |\n|---|---|---|---|\n");
    for (ConfigField<?> field : fields) {
      out.append("| `")
          .append(field.name())
          .append("` | ")
          .append(cell(type(field)))
          .append(" | ")
          .append(field.defaultValue() == null || field.defaultValue().isEmpty() ? "" : "`")
          .append(cell(defaultOf(field)))
          .append(field.defaultValue() == null || field.defaultValue().isEmpty() ? "" : "`")
          .append(" | ")
          .append(cell(field.description()))
          .append(" |\n");
    }
  }

  private static String type(ConfigField<?> field) {
    return field.isSecret()
        ? field.expected() + " (secret, masked when printed)"
        : field.expected();
  }

  /** The default; a machine's temporary directory is shown as such, not as this machine's. */
  private static String defaultOf(ConfigField<?> field) {
    String value = field.defaultValue();
    if (value == null) {
      return "(required)";
    }
    if (value.isEmpty()) {
      return "(empty)";
    }
    String tmp = System.getProperty("java.io.tmpdir");
    return value.startsWith(tmp) ? "<java.io.tmpdir>" + value.substring(tmp.length()) : value;
  }

  private static String cell(String text) {
    return text.replace("|", "\\|").replace("\n", " ");
  }
}
