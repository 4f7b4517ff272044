package io.cachepipe.servers;

import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;

/**
 * Entry point of the server JVMs that {@link LocalKafka} starts: runs another main class and exits
 * as soon as the JVM that started it is gone. Shutdown hooks stop children on a normal exit or
 * Ctrl-C; this covers the parent being killed with SIGKILL, which runs no hooks.
 *
 * <p>Usage: {@code java ... io.cachepipe.servers.ExitWithParent <main class> [args...]}
 */
public final class ExitWithParent {

  private ExitWithParent() {}

  /** Watches the parent process, then hands {@code args[1..]} to the main class {@code args[0]}. */
  public static void main(String[] args) throws Throwable {
    if (args.length == 0) {
      System.err.println("usage: ExitWithParent <main class> [args...]");
      System.exit(2);
    }
    ProcessHandle.current()
        .parent()
        .ifPresent(
            parent ->
                parent
                    .onExit()
                    .thenRun(
                        () -> {
                          System.err.println("parent process " + parent.pid() + " is gone");
                          System.exit(1);
                        }));
    try {
      Class.forName(args[0])
          .getMethod("main", String[].class)
          .invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
