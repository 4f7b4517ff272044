package io.cachepipe.sidecar;

import io.cachepipe.cdc.CdcConfig;
import io.cachepipe.core.config.ConfigField;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.kafka.KafkaClients;
import io.cachepipe.core.tag.TagRules;
import io.cachepipe.invalidator.InvalidatorConfig;
import io.cachepipe.sidecar.admin.AdminConfig;
import io.cachepipe.warmer.WarmableEntry;
import io.cachepipe.warmer.WarmerConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

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
              WarmableEntry.PREFIX + "<name>.{key,tags,query,ttl.ms}",
              "A warmable entry: key template, tag templates, SQL with :named parameters (its first"
                  + " row is the value) and time to live. Without any, the example's user_stats"
                  + " applies."),
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

  private SidecarConfig() {}

  /** Every typed key cachepipe knows. */
  public static List<ConfigField<?>> allFields() {
    List<ConfigField<?>> fields = new ArrayList<>();
    fields.add(STAGES);
    fields.addAll(Connections.FIELDS);
    fields.addAll(Topics.FIELDS);
    fields.addAll(CdcConfig.FIELDS);
    fields.addAll(InvalidatorConfig.FIELDS);
    fields.addAll(WarmerConfig.FIELDS);
    fields.addAll(AdminConfig.FIELDS);
    fields.addAll(AdminConfig.AUDIT_FIELDS);
    return fields;
  }

  /**
   * Checks {@code settings} as a whole at start: unknown keys, bad values, rules and warmable
   * entries; fails with the first problem, naming its key.
   */
  public static Set<Stage> validate(Settings settings) {
    settings.requireKnownKeys(allFields(), List.of(TagRules.PREFIX, WarmableEntry.PREFIX));
    for (ConfigField<?> field : allFields()) {
      settings.get(field);
    }
    Connections.from(settings);
    TagRules.from(settings);
    WarmableEntry.from(settings);
    return Stage.parse(STAGES.name(), settings.get(STAGES));
  }
}
