package io.cachepipe.sidecar.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time of processes and their descendants (PostgreSQL's backends), from {@code /proc}, so a
 * benchmark can report cores used per process over an interval. Linux only; elsewhere it reports
 * nothing. Counts clock ticks of 10 ms (USER_HZ is 100 on every Linux this runs on).
 */
public final class ProcessCpu {

  private static final double TICK_SECONDS = 0.01;

  private final Map<String, ProcessHandle> processes = new LinkedHashMap<>();
  private final Map<String, Double> last = new LinkedHashMap<>();
  private long lastNanos;

  /** Samples {@code processes} and this JVM (as {@code sidecar}, the stages run in it). */
  public ProcessCpu(Map<String, ProcessHandle> processes) {
    this.processes.put("sidecar", ProcessHandle.current());
    this.processes.putAll(processes);
    mark();
  }

  /** Starts an interval. */
  public void mark() {
    processes.forEach((name, p) -> last.put(name, cpuSeconds(p)));
    lastNanos = System.nanoTime();
  }

  /** Cores used by each process since {@link #mark()} (1.0 = one core busy), then marks. */
  public Map<String, Double> coresSinceMark() {
    double elapsed = (System.nanoTime() - lastNanos) / 1e9;
    Map<String, Double> cores = new LinkedHashMap<>();
    processes.forEach(
        (name, p) -> {
          double now = cpuSeconds(p);
          if (now >= 0 && last.getOrDefault(name, -1.0) >= 0 && elapsed > 0) {
            cores.put(name, Math.round((now - last.get(name)) / elapsed * 100) / 100.0);
          }
        });
    mark();
    return cores;
  }

  private static double cpuSeconds(ProcessHandle process) {
    if (process.pid() == ProcessHandle.current().pid()) {
      var os = ManagementFactory.getOperatingSystemMXBean();
      if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
        return sun.getProcessCpuTime() / 1e9;
      }
    }
    double total = ticks(process.pid());
    if (total < 0) {
      return -1;
    }
    for (ProcessHandle child : process.descendants().toList()) {
      total += Math.max(0, ticks(child.pid()));
    }
    return total * TICK_SECONDS;
  }

  /** utime + stime of {@code pid} in clock ticks, or -1 if it cannot be read. */
  private static double ticks(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // Fields after the command name, which is in parentheses and may contain spaces.
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
