package io.cachepipe.sidecar;

import io.cachepipe.core.config.ConfigException;
import io.cachepipe.core.config.Secrets;
import io.cachepipe.sidecar.audit.AuditCommand;
import io.cachepipe.sidecar.cli.CliExtension;
import io.cachepipe.sidecar.db.DbCommand;
import io.cachepipe.sidecar.logging.LogFormat;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceLoader;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The {@code cachepipe} command line. */
@Command(
    name = "cachepipe",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Keeps Redis caches true to PostgreSQL: logical replication to tag evictions.",
    subcommands = {RunCommand.class, DbCommand.class, AuditCommand.class, ConfigCommand.class})
public final class Main implements Runnable {

  /** Exit code of a failed run. */
  public static final int FAILED = 1;

  /** Exit code of bad usage or configuration. */
  public static final int BAD_CONFIG = 2;

  /** The exit codes, listed in every command's help. */
  static final Map<String, String> EXIT_CODES = exitCodes();

  @Option(
      names = "--log-format",
      paramLabel = "FORMAT",
      scope = ScopeType.INHERIT,
      defaultValue = "${env:CACHEPIPE_LOG_FORMAT:-text}",
      description =
          "Log lines on stderr: text, or json (one JSON object per line). Default: text, or"
              + " $CACHEPIPE_LOG_FORMAT.")
  void logFormat(LogFormat format) {
    format.apply();
  }

  public static void main(String[] args) {
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    System.exit(commandLine().execute(args));
  }

  /**
   * The command line with cachepipe's error handling; tests execute it too. A failure is one line
   * on stderr, with any credentials it quotes masked, never a stack trace.
   */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    // Before the settings below: picocli passes them on to the subcommands it has at the time.
    addExtensions(cli);
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          String message = Secrets.maskCredentials(messageOf(e));
          if (e instanceof ConfigException) {
            commandLine.getErr().println("cachepipe: configuration error: " + message);
            return BAD_CONFIG;
          }
          commandLine.getErr().println("cachepipe: " + message);
          return FAILED;
        });
    applyConventions(cli);
    return cli;
  }

  /**
   * Adds the command of every {@link CliExtension} on the class path (in a source checkout, the
   * demo's and the benchmarks'), by name, so that the help lists them in the same order whatever
   * the order of the class path.
   */
  private static void addExtensions(CommandLine cli) {
    ServiceLoader.load(CliExtension.class).stream()
        .map(provider -> new CommandLine(provider.get().command()))
        .sorted(Comparator.comparing(CommandLine::getCommandName))
        .forEach(cli::addSubcommand);
  }

  private static String messageOf(Exception e) {
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  /** Every command lists the exit codes in its help and answers --version. */
  private static void applyConventions(CommandLine command) {
    command.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n");
    command.getCommandSpec().usageMessage().exitCodeList(EXIT_CODES);
    command.getCommandSpec().versionProvider(new Version());
    command.getSubcommands().values().forEach(Main::applyConventions);
  }

  private static Map<String, String> exitCodes() {
    Map<String, String> codes = new LinkedHashMap<>();
    codes.put("0", "success");
    codes.put(
        Integer.toString(FAILED),
        "failed: a stage failed, a server was unreachable or refused the credentials, the demo"
            + " or the audit found stale entries, a db check failed");
    codes.put(Integer.toString(BAD_CONFIG), "bad usage or configuration");
    return codes;
  }

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"cachepipe " + (v == null ? "development build" : v)};
    }
  }
}
