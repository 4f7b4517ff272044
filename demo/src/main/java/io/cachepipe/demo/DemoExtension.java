package io.cachepipe.demo;

import io.cachepipe.sidecar.cli.CliExtension;

/** Adds {@code cachepipe demo} to the command line wherever this module is on the class path. */
public final class DemoExtension implements CliExtension {

  @Override
  public Object command() {
    return DemoCommand.class;
  }
}
