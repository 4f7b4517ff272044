package io.cachepipe.core.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * One typed configuration key: its name, what it expects, its default and a one-line description.
 * Parsing a bad value fails with the key's name and what it expected.
 *
 * @param <T> the value's type
 */
public final class ConfigField<T> {

  private final String name;
  private final String expected;
  private final String defaultValue;
  private final String description;
  private final boolean secret;
  private final Function<String, T> parser;

  private ConfigField(
      String name,
      String expected,
      String defaultValue,
      String description,
      boolean secret,
      Function<String, T> parser) {
    this.name = Objects.requireNonNull(name, "name");
    this.expected = expected;
    this.defaultValue = defaultValue;
    this.description = description;
    this.secret = secret;
    this.parser = parser;
  }

  /** A text value; {@code defaultValue} null means the key is required. */
  public static ConfigField<String> string(String name, String defaultValue, String description) {
    return new ConfigField<>(name, "a text", defaultValue, description, false, s -> s);
  }

  /** A secret text: masked wherever configuration is printed. */
  public static ConfigField<String> secret(String name, String defaultValue, String description) {
    return new ConfigField<>(name, "a text", defaultValue, description, true, s -> s);
  }

  /** An integer in {@code [min, max]}. */
  public static ConfigField<Integer> integer(
      String name, int defaultValue, int min, int max, String description) {
    String expected = "an integer from " + min + " to " + max;
    return new ConfigField<>(
        name,
        expected,
        Integer.toString(defaultValue),
        description,
        false,
        s -> {
          try {
            int v = Integer.parseInt(s.trim());
            if (v < min || v > max) {
              throw ConfigException.badValue(name, expected, s);
            }
            return v;
          } catch (NumberFormatException e) {
            throw ConfigException.badValue(name, expected, s);
          }
        });
  }

  /** A duration in milliseconds, at least {@code minMillis}. */
  public static ConfigField<Duration> millis(
      String name, long defaultMillis, long minMillis, String description) {
    String expected = "a whole number of milliseconds >= " + minMillis;
    return new ConfigField<>(
        name,
        expected,
        Long.toString(defaultMillis),
        description,
        false,
        s -> {
          try {
            long v = Long.parseLong(s.trim());
            if (v < minMillis) {
              throw ConfigException.badValue(name, expected, s);
            }
            return Duration.ofMillis(v);
          } catch (NumberFormatException e) {
            throw ConfigException.badValue(name, expected, s);
          }
        });
  }

  /**
   * A URL that starts with one of {@code prefixes} ({@code redis://}, {@code jdbc:postgresql://}).
   * A bad value is quoted with its credentials masked.
   */
  public static ConfigField<String> url(
      String name, String defaultValue, List<String> prefixes, String description) {
    String expected = "a URL starting with " + String.join(" or ", prefixes);
    return new ConfigField<>(
        name,
        expected,
        defaultValue,
        description,
        false,
        s -> {
          String v = s.trim();
          if (prefixes.stream().noneMatch(p -> v.regionMatches(true, 0, p, 0, p.length()))) {
            throw ConfigException.badValue(name, expected, Secrets.maskCredentials(s));
          }
          return v;
        });
  }

  /** {@code true} or {@code false}. */
  public static ConfigField<Boolean> bool(String name, boolean defaultValue, String description) {
    return new ConfigField<>(
        name,
        "true or false",
        Boolean.toString(defaultValue),
        description,
        false,
        s -> {
          String v = s.trim().toLowerCase(java.util.Locale.ROOT);
          if (!v.equals("true") && !v.equals("false")) {
            throw ConfigException.badValue(name, "true or false", s);
          }
          return v.equals("true");
        });
  }

  /** A comma-separated list of non-empty items. */
  public static ConfigField<List<String>> list(
      String name, String defaultValue, String description) {
    return new ConfigField<>(
        name,
        "a comma-separated list",
        defaultValue,
        description,
        false,
        s ->
            Arrays.stream(s.split(",")).map(String::trim).filter(item -> !item.isEmpty()).toList());
  }

  /** A value out of {@code allowed}. */
  public static ConfigField<String> oneOf(
      String name, String defaultValue, List<String> allowed, String description) {
    String expected = "one of " + String.join(", ", allowed);
    return new ConfigField<>(
        name,
        expected,
        defaultValue,
        description,
        false,
        s -> {
          if (!allowed.contains(s.trim())) {
            throw ConfigException.badValue(name, expected, s);
          }
          return s.trim();
        });
  }

  public String name() {
    return name;
  }

  public String expected() {
    return expected;
  }

  /** The default as text; null when the key is required. */
  public String defaultValue() {
    return defaultValue;
  }

  public String description() {
    return description;
  }

  public boolean isSecret() {
    return secret;
  }

  /** Parses {@code raw}, or the default when raw is null. */
  T parse(String raw) {
    String value = raw != null ? raw : defaultValue;
    if (value == null) {
      throw new ConfigException(
          name + ": required, expected " + expected + " (" + description + ")");
    }
    return parser.apply(value);
  }
}
