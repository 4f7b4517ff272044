package io.cachepipe.servers;

import java.time.Duration;
import java.util.OptionalInt;
import java.util.function.Supplier;

/** Waits for a freshly started server to answer, failing fast if its process dies. */
final class Readiness {

  /** One attempt at talking to the server. */
  interface Probe {
    /** Whether the server answered as expected; an exception counts as "not yet". */
    boolean answers() throws Exception;
  }

  private static final Duration PAUSE = Duration.ofMillis(20);

  private Readiness() {}

  /**
   * Probes until the server answers, its process exits, or {@code timeout} passes.
   *
   * @param diagnostics the server's recent output, appended to the error
   * @throws LocalServerException if the server died or did not answer in time
   */
  static void await(
      ChildProcess child, Duration timeout, Probe probe, Supplier<String> diagnostics) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Object lastFailure = "no answer";
    while (true) {
      try {
        if (probe.answers()) {
          return;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new LocalServerException("interrupted while waiting for " + child, e);
      } catch (Exception e) {
        lastFailure = e;
      }
      if (child.awaitExit(PAUSE)) {
        throw new LocalServerException(
            child
                + " exited"
                + exitCode(child)
                + " before it was ready. Its output:\n"
                + diagnostics.get());
      }
      if (System.nanoTime() - deadline > 0) {
        throw new LocalServerException(
            child
                + " was not ready after "
                + timeout
                + " (last probe: "
                + lastFailure
                + "). Its output:\n"
                + diagnostics.get());
      }
    }
  }

  private static String exitCode(ChildProcess child) {
    OptionalInt code = child.exitValue();
    return code.isPresent() ? " with code " + code.getAsInt() : "";
  }
}
