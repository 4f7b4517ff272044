package io.cachepipe.bench;

import picocli.CommandLine.Option;

/** The shape of a {@link LoadStep}'s update load: the options of {@code bench latency|ceiling}. */
final class UpdateLoadOptions {

  @Option(
      names = "--rows-per-tx",
      defaultValue = "1",
      description = "Rows each transaction updates (default ${DEFAULT-VALUE}).")
  int rowsPerTx;

  @Option(
      names = "--writers",
      defaultValue = "0",
      description = "Writer connections; 0 picks one per 1,500 transactions/s, at least 2.")
  int writers;
}
