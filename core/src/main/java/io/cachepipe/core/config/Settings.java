package io.cachepipe.core.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * The effective configuration: a properties file, overridden by environment variables (a key's
 * upper-case name with dots as underscores: {@code CACHEPIPE_REDIS_URI} sets {@code
 * cachepipe.redis.uri}), overridden by explicit values (command-line flags). Immutable.
 *
 * <p>Keys under {@code debezium.source.}, {@code kafka.} and cachepipe's own {@code cachepipe.} are
 * taken from the environment; pass-through subtrees are handed to the library they name untouched
 * (see {@link #subtree(String)}).
 */
public final class Settings {

  /** Environment variable prefixes that are mapped to keys. */
  static final List<String> ENV_PREFIXES = List.of("CACHEPIPE_", "DEBEZIUM_", "KAFKA_");

  /**
   * Variables of launchers, logging and tools that share the prefixes but are not configuration:
   * they are read before (or outside) the configuration, so they are not keys.
   */
  static final Set<String> NOT_CONFIGURATION =
      Set.of(
          "CACHEPIPE_HOME",
          "CACHEPIPE_OPTS",
          "CACHEPIPE_LOG_LEVEL",
          "CACHEPIPE_LOG_FORMAT",
          "CACHEPIPE_REDIS_SERVER",
          "CACHEPIPE_TEST_LOG",
          "KAFKA_OPTS",
          "KAFKA_HEAP_OPTS",
          "KAFKA_HOME");

  /** Where a key's value came from, latest wins: file, then environment, then overrides. */
  public enum Source {
    /** Not set: the key's default applies. */
    DEFAULT,
    /** The properties file. */
    FILE,
    /** An environment variable. */
    ENV,
    /** A command-line option or a program. */
    OVERRIDE;

    /** Lower-case name, as {@code config --print} shows it. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Map<String, String> values;
  private final Map<String, Source> sources;

  private Settings(Map<String, String> values, Map<String, Source> sources) {
    this.values = Collections.unmodifiableMap(new TreeMap<>(values));
    this.sources = Map.copyOf(sources);
  }

  /** Settings of {@code values}, each from {@link Source#OVERRIDE}. */
  public static Settings of(Map<String, String> values) {
    return new Settings(values, sourced(values, Source.OVERRIDE));
  }

  public static Settings empty() {
    return new Settings(Map.of(), Map.of());
  }

  private static Map<String, Source> sourced(Map<String, String> values, Source source) {
    Map<String, Source> out = new LinkedHashMap<>();
    values.keySet().forEach(k -> out.put(k, source));
    return out;
  }

  /**
   * Loads {@code file} (may be null), then applies the environment, then {@code overrides}.
   *
   * @throws ConfigException if the file cannot be read
   */
  public static Settings load(Path file, Map<String, String> env, Map<String, String> overrides) {
    return load(file, env, overrides, key -> true);
  }

  /**
   * Like {@link #load(Path, Map, Map)}, taking from the environment only the variables whose key
   * {@code isKey} accepts. Other variables that share a prefix are not configuration: in a
   * Kubernetes pod, a Service named {@code cachepipe} injects {@code CACHEPIPE_PORT=tcp://...},
   * which names no key (see {@link #unknownVariables}).
   *
   * @throws ConfigException if the file cannot be read
   */
  public static Settings load(
      Path file, Map<String, String> env, Map<String, String> overrides, Predicate<String> isKey) {
    Map<String, String> values = new LinkedHashMap<>();
    Map<String, Source> sources = new LinkedHashMap<>();
    if (file != null) {
      Properties properties = new Properties();
      try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        properties.load(reader);
      } catch (IOException e) {
        throw new ConfigException("cannot read configuration file " + file + ": " + e.getMessage());
      }
      properties
          .stringPropertyNames()
          .forEach(k -> values.put(k, properties.getProperty(k).trim()));
      sources.putAll(sourced(values, Source.FILE));
    }
    Map<String, String> fromEnv = fromEnvironment(env);
    fromEnv.keySet().removeIf(isKey.negate());
    values.putAll(fromEnv);
    sources.putAll(sourced(fromEnv, Source.ENV));
    values.putAll(overrides);
    sources.putAll(sourced(overrides, Source.OVERRIDE));
    return new Settings(values, sources);
  }

  /** The keys that {@code env} sets, by the upper-case/underscore rule. */
  static Map<String, String> fromEnvironment(Map<String, String> env) {
    Map<String, String> values = new LinkedHashMap<>();
    env.forEach(
        (name, value) -> {
          if (ENV_PREFIXES.stream().anyMatch(name::startsWith)
              && !NOT_CONFIGURATION.contains(name)) {
            values.put(keyOf(name), value);
          }
        });
    return values;
  }

  /**
   * The variables of {@code env} with cachepipe's own prefix ({@code CACHEPIPE_}) whose key {@code
   * isKey} rejects, sorted: {@link #load(Path, Map, Map, Predicate)} leaves them out, and they are
   * worth a warning (a misspelled variable would otherwise go unnoticed).
   */
  public static Set<String> unknownVariables(Map<String, String> env, Predicate<String> isKey) {
    Set<String> unknown = new TreeSet<>();
    env.forEach(
        (name, value) -> {
          if (name.startsWith(ENV_PREFIXES.get(0))
              && !NOT_CONFIGURATION.contains(name)
              && !isKey.test(keyOf(name))) {
            unknown.add(name);
          }
        });
    return unknown;
  }

  private static String keyOf(String variable) {
    return variable.toLowerCase(Locale.ROOT).replace('_', '.');
  }

  /** The typed value of {@code field}, or its default. */
  public <T> T get(ConfigField<T> field) {
    return field.parse(values.get(field.name()));
  }

  /** The raw value of {@code key}, or null. */
  public String raw(String key) {
    return values.get(key);
  }

  public boolean contains(String key) {
    return values.containsKey(key);
  }

  /** Where {@code key}'s value came from; {@link Source#DEFAULT} when it is not set. */
  public Source source(String key) {
    return sources.getOrDefault(key, Source.DEFAULT);
  }

  /** Every key set. */
  public Set<String> keys() {
    return values.keySet();
  }

  /**
   * The keys under {@code prefix} (which ends with a dot), with the prefix removed: {@code
   * subtree("debezium.source.")} gives the connector's own properties.
   */
  public Map<String, String> subtree(String prefix) {
    Map<String, String> out = new LinkedHashMap<>();
    values.forEach(
        (key, value) -> {
          if (key.startsWith(prefix)) {
            out.put(key.substring(prefix.length()), value);
          }
        });
    return out;
  }

  /** A copy with {@code key} set to {@code value}. */
  public Settings with(String key, String value) {
    Map<String, String> copy = new LinkedHashMap<>(values);
    copy.put(key, value);
    Map<String, Source> copySources = new LinkedHashMap<>(sources);
    copySources.put(key, Source.OVERRIDE);
    return new Settings(copy, copySources);
  }

  /** A copy with each of {@code defaults} set unless this already sets it. */
  public Settings withDefaults(Map<String, String> defaults) {
    Map<String, String> copy = new LinkedHashMap<>(defaults);
    copy.putAll(values);
    Map<String, Source> copySources = sourced(defaults, Source.DEFAULT);
    copySources.putAll(sources);
    return new Settings(copy, copySources);
  }

  /**
   * Fails on a {@code cachepipe.} key that is neither one of {@code known} nor under one of {@code
   * dynamicPrefixes}, naming the closest known key.
   */
  public void requireKnownKeys(
      Collection<ConfigField<?>> known, Collection<String> dynamicPrefixes) {
    Set<String> names = new java.util.HashSet<>();
    known.forEach(f -> names.add(f.name()));
    for (String key : values.keySet()) {
      if (!key.startsWith("cachepipe.") || names.contains(key)) {
        continue;
      }
      if (dynamicPrefixes.stream().anyMatch(key::startsWith)) {
        continue;
      }
      String closest =
          names.stream()
              .min(Comparator.comparingInt(n -> EditDistance.between(n, key)))
              .orElse("(none)");
      throw new ConfigException(key + ": unknown key; did you mean " + closest + "?");
    }
  }

  /**
   * Every value set, as text that may be shown: values of secret fields and secret-like keys
   * masked, and credentials inside other values (URIs) masked (see {@link Secrets}).
   */
  public Map<String, String> masked(Collection<ConfigField<?>> fields) {
    Set<String> secret = new java.util.HashSet<>();
    fields.stream().filter(ConfigField::isSecret).forEach(f -> secret.add(f.name()));
    Map<String, String> out = new TreeMap<>();
    values.forEach((key, value) -> out.put(key, Secrets.mask(key, value, secret.contains(key))));
    return out;
  }

  @Override
  public String toString() {
    return "Settings" + masked(List.of()).keySet();
  }
}
