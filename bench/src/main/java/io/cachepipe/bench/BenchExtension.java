package io.cachepipe.bench;

import io.cachepipe.sidecar.cli.CliExtension;

/** Adds {@code cachepipe bench} to the command line wherever this module is on the class path. */
public final class BenchExtension implements CliExtension {

  @Override
  public Object command() {
    return BenchCommand.class;
  }
}
