package io.cachepipe.testing;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** One in-process execution of a command line, with what it printed. */
public record CliRun(int exit, String out, String err) {

  /** Executes {@code args} on {@code cli} (e.g. cachepipe's {@code Main.commandLine()}). */
  public static CliRun of(CommandLine cli, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new CliRun(exit, out.toString(), err.toString());
  }
}
