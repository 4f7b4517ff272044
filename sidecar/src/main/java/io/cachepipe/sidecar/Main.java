package io.cachepipe.sidecar;

import io.cachepipe.core.config.ConfigException;
import io.cachepipe.sidecar.audit.AuditCommand;
import io.cachepipe.sidecar.bench.BenchCommand;
import io.cachepipe.sidecar.db.DbCommand;
import io.cachepipe.sidecar.demo.DemoCommand;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code cachepipe} command line. */
@Command(
    name = "cachepipe",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Keeps Redis caches true to PostgreSQL: logical replication to tag evictions.",
    subcommands = {
      RunCommand.class,
      DemoCommand.class,
      DbCommand.class,
      BenchCommand.class,
      AuditCommand.class
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:success",
      "1:the run failed (a stage failed, the demo found stale entries, a db check failed)",
      "2:bad usage or configuration"
    })
public final class Main implements Runnable {

  /** Exit code of a failed run. */
  public static final int FAILED = 1;

  /** Exit code of bad usage or configuration. */
  public static final int BAD_CONFIG = 2;

  public static void main(String[] args) {
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    System.exit(commandLine().execute(args));
  }

  /** The command line with cachepipe's error handling; tests execute it too. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof ConfigException) {
            commandLine.getErr().println("cachepipe: configuration error: " + e.getMessage());
            return BAD_CONFIG;
          }
          commandLine.getErr().println("cachepipe: " + e.getMessage());
          return FAILED;
        });
    return cli;
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
