package io.cachepipe.sidecar;

import io.cachepipe.cdc.CdcConfig;
import io.cachepipe.cdc.EagerEvictionConfig;
import io.cachepipe.core.config.ConfigField;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.kafka.KafkaClients;
import io.cachepipe.core.tag.TagRules;
import io.cachepipe.core.warm.WarmKinds;
import io.cachepipe.core.warm.WarmableEntry;
import io.cachepipe.invalidator.InvalidatorConfig;
import io.cachepipe.sidecar.admin.AdminConfig;
import io.cachepipe.warmer.WarmerConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The sidecar's own keys, and every key of every stage, for validation and documentation. */
public final class SidecarConfig {

  public static final ConfigField<List<String>> STAGES =
      ConfigField.list(
          "cachepipe.stages",
          "all",
          "Stages this process runs: all, or any of cdc, invalidator, warmer.");

  /**
   * A family of keys below a prefix: named by the user ({@code cachepipe.rule.<name>.*}) or passed
   * to a library untouched ({@code kafka.streams.*}).
   *
   * @param keys the keys, as documented ({@code cachepipe.rule.<name>.{table,tag,columns}});
   *     several patterns are separated by ", "
   * @param description what they do, where they go
   */
  public record Subtree(String keys, String description) {}

  /** Every family of keys besides {@link #allFields()}, for documentation. */
  public static final List<Subtree> SUBTREES =
      List.of(
          new Subtree(
              TagRules.PREFIX + "<name>.{table,tag,columns}",
              "A tag rule: the table (schema optional, default public), a tag template with"
                  + " {column} placeholders, and optionally the columns that matter. Evaluated on"
                  + " the before and the after image. Without any rule, the example domain's rules"
                  + " apply."),
          new Subtree(
              WarmableEntry.PREFIX
                  + "<name>.{key,tags,query,ttl.ms,shape,batch.query,batch.key.column,batch.size}",
              "A warm kind: an entry the warmer recomputes and the auditor checks (its keys are"
                  + " below). Only the declared kinds, plus the example's user_stats with "
                  + WarmKinds.DEFAULTS.name()
                  + "=example."),
          new Subtree(
              CdcConfig.PASS_THROUGH_PREFIX + "*",
              "Passed to the Debezium PostgreSQL connector untouched; wins over what cachepipe"
                  + " derives."),
          new Subtree(
              KafkaClients.SHARED.stream()
                  .map(p -> KafkaClients.PREFIX + p + "*")
                  .collect(java.util.stream.Collectors.joining(", ")),
              "Given to every Kafka client (admin, producers, consumers, Kafka Streams, Debezium's"
                  + " offset store) with kafka. removed: security.protocol, sasl.mechanism,"
                  + " sasl.jaas.config, ssl.truststore.location, ..."),
          new Subtree(
              InvalidatorConfig.PASS_THROUGH_PREFIX + "*",
              "Passed to Kafka Streams (the invalidator) untouched; wins over cachepipe's"
                  + " defaults."),
          new Subtree("kafka.producer.*", "Passed to the cdc stage's Kafka producer."),
          new Subtree("kafka.consumer.*", "Passed to the warmer's Kafka consumer."),
          new Subtree(
              "kafka.eviction.consumer.*", "Passed to the invalidator's eviction-step consumer."));

  /**
   * Prefixes of the keys handed to a library untouched ({@link #SUBTREES}), and of the families of
   * keys named by the user: an environment variable under one of them is configuration.
   */
  static final List<String> KEY_PREFIXES =
      List.of(
          TagRules.PREFIX,
          WarmableEntry.PREFIX,
          CdcConfig.PASS_THROUGH_PREFIX,
          InvalidatorConfig.PASS_THROUGH_PREFIX,
          "kafka.producer.",
          "kafka.consumer.",
          "kafka.eviction.consumer.");

  /**
   * The usual variables of PostgreSQL's and Redis' own tools, applied when cachepipe's
   * configuration sets no password of its own.
   */
  private static final Map<String, List<ConfigField<String>>> TOOL_PASSWORDS =
      Map.of(
          "PGPASSWORD",
          List.of(Connections.POSTGRES_PASSWORD, Connections.POSTGRES_PASSWORD_FILE),
          "REDISCLI_AUTH",
          List.of(Connections.REDIS_PASSWORD, Connections.REDIS_PASSWORD_FILE));

  private static final Logger LOG = LoggerFactory.getLogger(SidecarConfig.class);
  private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

  private SidecarConfig() {}

  /**
   * The configuration of a command: {@code file} (may be null), overridden by the environment,
   * overridden by {@code overrides}. Only environment variables that name a key are configuration;
   * another {@code CACHEPIPE_*} variable (Kubernetes injects {@code CACHEPIPE_PORT} and others for
   * a Service named cachepipe) is logged once at WARN and left out. {@code PGPASSWORD} and {@code
   * REDISCLI_AUTH} give the password when the configuration has none.
   */
  public static Settings load(Path file, Map<String, String> env, Map<String, String> overrides) {
    for (String variable : Settings.unknownVariables(env, SidecarConfig::isKey)) {
      if (WARNED.add(variable)) {
        LOG.warn(
            "environment variable {} names no configuration key: ignored (Kubernetes sets such"
                + " variables for a Service of the same name)",
            variable);
      }
    }
    Settings loaded = Settings.load(file, env, overrides, SidecarConfig::isKey);
    Map<String, String> toolPasswords = new java.util.HashMap<>();
    TOOL_PASSWORDS.forEach(
        (variable, fields) -> {
          String password = env.get(variable);
          boolean configured = fields.stream().anyMatch(f -> !loaded.get(f).isEmpty());
          if (password != null && !password.isEmpty() && !configured) {
            toolPasswords.put(fields.get(0).name(), password);
          }
        });
    return loaded.withDefaults(toolPasswords);
  }

  /** Whether {@code key} is configuration: a known key, or under one of {@link #KEY_PREFIXES}. */
  static boolean isKey(String key) {
    return KNOWN.contains(key)
        || KEY_PREFIXES.stream().anyMatch(key::startsWith)
        || KafkaClients.SHARED.stream().anyMatch(p -> key.startsWith(KafkaClients.PREFIX + p));
  }

  private static final Set<String> KNOWN =
      allFields().stream().map(ConfigField::name).collect(Collectors.toSet());

  /** Every typed key cachepipe knows. */
  public static List<ConfigField<?>> allFields() {
    List<ConfigField<?>> fields = new ArrayList<>();
    fields.add(STAGES);
    fields.addAll(Connections.FIELDS);
    fields.addAll(Topics.FIELDS);
    fields.addAll(CdcConfig.FIELDS);
    fields.addAll(EagerEvictionConfig.FIELDS);
    fields.addAll(InvalidatorConfig.FIELDS);
    fields.addAll(WarmerConfig.FIELDS);
    fields.add(WarmKinds.DEFAULTS);
    fields.addAll(AdminConfig.FIELDS);
    fields.addAll(AdminConfig.AUDIT_FIELDS);
    return fields;
  }

  /**
   * Checks {@code settings} as a whole at start: unknown keys, bad values, rules and warmable
   * entries; fails with the first problem, naming its key.
   */
  public static Set<Stage> validate(Settings settings) {
    settings.requireKnownKeys(allFields(), KEY_PREFIXES);
    for (ConfigField<?> field : allFields()) {
      settings.get(field);
    }
    Connections.from(settings);
    AdminConfig.from(settings);
    TagRules.from(settings);
    WarmableEntry.from(settings);
    return Stage.parse(STAGES.name(), settings.get(STAGES));
  }
}
