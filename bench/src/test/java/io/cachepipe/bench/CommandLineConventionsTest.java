package io.cachepipe.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.sidecar.Main;
import io.cachepipe.testing.CliRun;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every command follows the same conventions: help, version, exit codes, errors on stderr. Here, in
 * bench, because its class path holds every command: the sidecar's own and those the demo and the
 * benchmarks add through {@code CliExtension}.
 */
class CommandLineConventionsTest {

  @Test
  void theDemoAndTheBenchmarksJoinTheCommandLineFromTheClassPath() {
    assertThat(commands(Main.commandLine(), new ArrayList<>()))
        .contains(
            List.of("run"),
            List.of("demo"),
            List.of("bench"),
            List.of("bench", "latency"),
            List.of("bench", "staleness"));
  }

  @Test
  void everyCommandHasHelpWithTheExitCodesAndAVersion() {
    for (List<String> command : commands(Main.commandLine(), new ArrayList<>())) {
      List<String> help = new ArrayList<>(command);
      help.add("--help");
      CliRun r = CliRun.of(Main.commandLine(), help.toArray(String[]::new));
      assertThat(r.exit()).as("%s --help", command).isZero();
      assertThat(r.out())
          .as("%s --help", command)
          .contains("Exit codes:")
          .contains("2   bad usage or configuration");

      List<String> version = new ArrayList<>(command);
      version.add("--version");
      CliRun v = CliRun.of(Main.commandLine(), version.toArray(String[]::new));
      assertThat(v.exit()).as("%s --version", command).isZero();
      assertThat(v.out()).as("%s --version", command).startsWith("cachepipe ");
    }
  }

  @Test
  void badUsageExitsTwoWithTheProblemOnStderr() {
    CliRun r = CliRun.of(Main.commandLine(), "run", "--no-such-option");

    assertThat(r.exit()).isEqualTo(Main.BAD_CONFIG);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("Unknown option: '--no-such-option'");
  }

  @Test
  void aBadConfigurationFileExitsTwoInOneLine() {
    CliRun r = CliRun.of(Main.commandLine(), "run", "--config", "/no/such/cachepipe.properties");

    assertThat(r.exit()).isEqualTo(Main.BAD_CONFIG);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().strip().lines()).hasSize(1);
    assertThat(r.err())
        .startsWith("cachepipe: configuration error: cannot read configuration file");
  }

  @Test
  void anUnknownLogFormatIsBadUsage() {
    CliRun r = CliRun.of(Main.commandLine(), "--log-format", "xml", "config", "--describe");

    assertThat(r.exit()).isEqualTo(Main.BAD_CONFIG);
    assertThat(r.err()).contains("--log-format");
  }

  /** Every command path, as arguments: [], [run], [db], [db, explain], ... */
  private static List<List<String>> commands(CommandLine command, List<String> path) {
    List<List<String>> out = new ArrayList<>();
    out.add(path);
    command
        .getSubcommands()
        .forEach(
            (name, sub) -> {
              if (!sub.getCommandName().equals(name)) {
                return; // an alias: the command is visited under its name
              }
              List<String> subPath = new ArrayList<>(path);
              subPath.add(name);
              out.addAll(commands(sub, subPath));
            });
    return out;
  }
}
