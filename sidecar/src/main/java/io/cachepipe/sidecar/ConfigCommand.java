package io.cachepipe.sidecar;

import io.cachepipe.core.config.ConfigField;
import io.cachepipe.core.config.Secrets;
import io.cachepipe.core.config.Settings;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cachepipe config}: the effective configuration, or the reference of every key. */
@Command(
    name = "config",
    mixinStandardHelpOptions = true,
    description = {
      "--print: the effective configuration, every known key and every key set, one a line as"
          + " SOURCE KEY=VALUE, where SOURCE is default, file, env or override. Secrets are"
          + " masked: passwords, keys named like secrets, credentials inside URLs. Then checks it"
          + " as run does: exit 2, with the problem on stderr, if run would refuse it.",
      "--describe: every key with its type, default and description (--markdown: as"
          + " docs/configuration.md)."
    })
final class ConfigCommand implements Callable<Integer> {

  @ArgGroup(multiplicity = "1")
  Action action;

  static final class Action {
    @Option(names = "--print", required = true, description = "Print the effective configuration.")
    boolean print;

    @Option(names = "--describe", required = true, description = "Describe every key.")
    boolean describe;
  }

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "Properties file (see cachepipe.example.properties), as for run.")
  Path config;

  @Option(
      names = "--markdown",
      description = "With --describe: Markdown, as docs/configuration.md.")
  boolean markdown;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    List<ConfigField<?>> fields = SidecarConfig.allFields();
    if (action.describe) {
      out.print(markdown ? ConfigurationDoc.markdown(fields) : ConfigurationDoc.text(fields));
      out.flush();
      return 0;
    }
    Settings settings = SidecarConfig.load(config, System.getenv(), Map.of());
    print(settings, fields, out);
    out.flush();
    SidecarConfig.validate(settings);
    return 0;
  }

  /** Known keys in the order of {@link SidecarConfig#allFields()}, then other keys set. */
  static void print(Settings settings, List<ConfigField<?>> fields, PrintWriter out) {
    Set<String> known = new HashSet<>();
    for (ConfigField<?> field : fields) {
      known.add(field.name());
      String raw = settings.raw(field.name());
      String value = raw != null ? raw : field.defaultValue() == null ? "" : field.defaultValue();
      line(out, settings.source(field.name()), field.name(), value, field.isSecret());
    }
    for (String key : settings.keys()) {
      if (!known.contains(key)) {
        line(out, settings.source(key), key, settings.raw(key), false);
      }
    }
  }

  private static void line(
      PrintWriter out, Settings.Source source, String key, String value, boolean secret) {
    out.printf("%-8s %s=%s%n", source.label(), key, Secrets.mask(key, value, secret));
  }
}
