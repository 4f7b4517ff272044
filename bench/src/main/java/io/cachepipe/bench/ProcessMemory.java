package io.cachepipe.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This JVM's resident memory, from {@code /proc/self}: the peak resident set size ({@code VmHWM})
 * and a way to restart it, so a benchmark can report the peak over one of its steps. The pipeline's
 * stages run in this JVM, and so do the benchmark's own load generators: the figure is an upper
 * bound for a sidecar running the stages alone. Linux only; elsewhere it reports nothing.
 */
public final class ProcessMemory {

  private static final Path STATUS = Path.of("/proc/self/status");
  private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

  private ProcessMemory() {}

  /** The peak resident set size since the process started or the last {@link #resetPeak()}, MiB. */
  public static double peakRssMb() {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith("VmHWM:")) {
          long kb = Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
          return Math.round(kb / 1024.0 * 10) / 10.0;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or /proc is not readable: no figure
    }
    return -1;
  }

  /**
   * Restarts the peak at the current resident set size (Linux 4.0 and later: {@code 5} written to
   * {@code /proc/self/clear_refs}); false if this kernel does not allow it, and the peak then
   * counts from the process's start.
   */
  public static boolean resetPeak() {
    try {
      Files.writeString(CLEAR_REFS, "5");
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
