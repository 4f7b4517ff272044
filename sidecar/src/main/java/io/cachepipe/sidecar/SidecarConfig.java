package io.cachepipe.sidecar;

import io.cachepipe.cdc.CdcConfig;
import io.cachepipe.core.config.ConfigField;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import io.cachepipe.core.config.Topics;
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
    TagRules.from(settings);
    WarmableEntry.from(settings);
    return Stage.parse(STAGES.name(), settings.get(STAGES));
  }
}
