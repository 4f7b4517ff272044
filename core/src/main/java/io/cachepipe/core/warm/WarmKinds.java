package io.cachepipe.core.warm;

import io.cachepipe.core.config.ConfigException;
import io.cachepipe.core.config.ConfigField;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.sql.NamedQuery;
import io.cachepipe.core.tag.TagTemplate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The warm kinds of a configuration: every {@code cachepipe.warm.<name>.*} declared, plus the
 * example's {@code user_stats} when {@code cachepipe.warm.defaults=example}. The example's kinds
 * are never implied: a user pointing cachepipe at their own schema gets no kind that queries the
 * example's tables, and declaring kinds does not silently drop or keep it.
 */
public final class WarmKinds {

  static final String EXAMPLE = "example";
  static final String NONE = "none";

  /** Whether the example's warm kinds apply. */
  public static final ConfigField<String> DEFAULTS =
      ConfigField.oneOf(
          WarmableEntry.PREFIX + "defaults",
          NONE,
          List.of(EXAMPLE, NONE),
          "example: the example schema's warm kind user_stats applies, beside the declared ones"
              + " (a declared cachepipe.warm.user_stats.* key overrides its own); none: only the"
              + " declared kinds.");

  private WarmKinds() {}

  /** The kinds of {@code settings}, in the order of their names. */
  public static List<WarmableEntry> from(Settings settings) {
    Settings effective =
        settings.get(DEFAULTS).equals(EXAMPLE)
            ? settings.withDefaults(WarmableEntry.EXAMPLE_ENTRIES)
            : settings;
    List<WarmableEntry> kinds = new ArrayList<>();
    for (String name : names(effective)) {
      kinds.add(parse(name, KindFields.of(name), effective));
    }
    return List.copyOf(kinds);
  }

  /** The names of the kinds with a key in {@code settings}, each of whose keys is a known field. */
  private static Set<String> names(Settings settings) {
    Set<String> names = new LinkedHashSet<>();
    for (String key : settings.subtree(WarmableEntry.PREFIX).keySet()) {
      if (key.equals("defaults")) {
        continue;
      }
      int dot = key.indexOf('.');
      String name = dot < 0 ? key : key.substring(0, dot);
      String field = dot < 0 ? "" : key.substring(dot + 1);
      if (name.equals("defaults")) {
        throw new ConfigException(
            WarmableEntry.PREFIX
                + key
                + ": 'defaults' is not a kind name: "
                + DEFAULTS.name()
                + " keeps or drops the example's kinds");
      }
      List<String> fields = KindFields.of(name).names();
      if (!fields.contains(field)) {
        throw new ConfigException(
            WarmableEntry.PREFIX
                + key
                + ": unknown field '"
                + field
                + "'; expected one of "
                + fields);
      }
      names.add(name);
    }
    return names;
  }

  /** The fields of a kind, named {@code cachepipe.warm.<name>.*}, for documentation. */
  public static List<ConfigField<?>> kindFields() {
    return KindFields.of("<name>").all();
  }

  private static WarmableEntry parse(String name, KindFields f, Settings settings) {
    TagTemplate key = template(f.key().name(), settings.get(f.key()));
    List<TagTemplate> tags = new ArrayList<>();
    for (String tag : settings.get(f.tags())) {
      TagTemplate t = template(f.tags().name(), tag);
      if (!key.columns().containsAll(t.columns())) {
        throw new ConfigException(
            f.tags().name()
                + ": tag '"
                + t
                + "' uses a placeholder that the key '"
                + key
                + "' lacks");
      }
      tags.add(t);
    }
    if (tags.isEmpty()) {
      throw new ConfigException(f.tags().name() + ": required, expected " + f.tags().expected());
    }
    NamedQuery query = NamedQuery.parse(f.query().name(), settings.get(f.query()));
    if (!key.columns().containsAll(query.parameters())) {
      throw new ConfigException(
          f.query().name()
              + ": parameters "
              + query.parameters()
              + " must all be placeholders of the key '"
              + key
              + "'");
    }
    Duration ttl = settings.get(f.ttl());
    Shape shape = Shape.of(settings.get(f.shape()));
    return new WarmableEntry(
        name, key, List.copyOf(tags), query, ttl, shape, batch(f, settings, key));
  }

  private static Optional<BatchQuery> batch(KindFields f, Settings settings, TagTemplate key) {
    String sql = settings.get(f.batchQuery()).trim();
    if (sql.isEmpty()) {
      for (ConfigField<?> field : List.of(f.batchKeyColumn(), f.batchSize())) {
        if (settings.contains(field.name())) {
          throw new ConfigException(
              field.name() + ": set without " + f.batchQuery().name() + ", which it belongs to");
        }
      }
      return Optional.empty();
    }
    if (key.columns().size() != 1) {
      throw new ConfigException(
          f.batchQuery().name()
              + ": a batch needs a key with one placeholder; '"
              + key
              + "' has "
              + key.columns().size());
    }
    String placeholder = key.columns().iterator().next();
    NamedQuery query = NamedQuery.parse(f.batchQuery().name(), sql);
    if (query.parameters().size() != 1) {
      throw new ConfigException(
          f.batchQuery().name()
              + ": expected one :named parameter (bound to an array of the"
              + " entries' "
              + placeholder
              + " values), got "
              + query.parameters());
    }
    String column = settings.get(f.batchKeyColumn()).trim();
    return Optional.of(
        new BatchQuery(
            query,
            placeholder,
            column.isEmpty() ? placeholder : column,
            settings.get(f.batchSize())));
  }

  private static TagTemplate template(String key, String text) {
    try {
      return TagTemplate.parse(text.trim());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key + ": " + e.getMessage());
    }
  }
}
