package io.cachepipe.sidecar.cli;

/**
 * A command that a module adds to the {@code cachepipe} command line when its jar is on the class
 * path: the demo and the benchmarks, which a source checkout runs ({@code ./cachepipe}) and the
 * distribution archive does not carry. A module registers its implementation in {@code
 * META-INF/services/io.cachepipe.sidecar.cli.CliExtension}; {@code Main} finds it with {@link
 * java.util.ServiceLoader} and gives the command the same error handling, exit codes, {@code
 * --help} and {@code --version} as its own.
 */
public interface CliExtension {

  /**
   * The command to add: a class annotated with picocli's {@code @Command}, or an instance of one.
   */
  Object command();
}
