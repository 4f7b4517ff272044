package io.cachepipe.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time of processes and their descendants (PostgreSQL's backends), from {@code /proc}, so a
 * benchmark can report cores used per process over an interval, and of the whole machine ({@code
 * machine}: busy cores from {@code /proc/stat}, a check on the per-process figures). Linux only;
 * elsewhere it reports nothing. Counts clock ticks of 10 ms (USER_HZ is 100 on every Linux this
 * runs on).
 *
 * <p>A process's figure is the sum, over it and its descendants, of what each pid used since the
 * last mark, divided by the time between that process's own two readings: a backend that started
 * since counts from zero, one that exited drops out, and one that the earlier reading missed (the
 * list of descendants is read while processes come and go) is left out rather than counted with its
 * whole lifetime.
 */
public final class ProcessCpu {

  private static final double TICK_SECONDS = 0.01;

  /** Name of the whole machine's figure. */
  public static final String MACHINE = "machine";

  private final Map<String, ProcessHandle> processes = new LinkedHashMap<>();
  private final Map<String, Reading> last = new LinkedHashMap<>();
  private long[] lastMachine;

  /** CPU seconds of a process and of each descendant, by pid, read at {@code nanos}. */
  private record Reading(Map<Long, Double> seconds, long nanos, Instant at) {}

  /** Samples {@code processes} and this JVM (as {@code sidecar}, the stages run in it). */
  public ProcessCpu(Map<String, ProcessHandle> processes) {
    this.processes.put("sidecar", ProcessHandle.current());
    this.processes.putAll(processes);
    mark();
  }

  /** Also samples {@code process} as {@code name}; its first figure comes after the next mark. */
  public void track(String name, ProcessHandle process) {
    processes.put(name, process);
    last.put(name, read(process));
  }

  /** Stops sampling {@code name}. */
  public void untrack(String name) {
    processes.remove(name);
    last.remove(name);
  }

  /** Starts an interval. */
  public void mark() {
    processes.forEach((name, p) -> last.put(name, read(p)));
    lastMachine = machineTicks();
  }

  /** Cores used by each process (and the machine) since {@link #mark()}, then marks. */
  public Map<String, Double> coresSinceMark() {
    Map<String, Double> cores = new LinkedHashMap<>();
    processes.forEach(
        (name, p) -> {
          Reading now = read(p);
          Reading before = last.put(name, now);
          double elapsed = before == null ? 0 : (now.nanos() - before.nanos()) / 1e9;
          if (before != null
              && elapsed > 0
              && now.seconds().containsKey(p.pid())
              && before.seconds().containsKey(p.pid())) {
            double used = 0;
            for (Map.Entry<Long, Double> e : now.seconds().entrySet()) {
              Double was = before.seconds().get(e.getKey());
              if (was != null) {
                used += Math.max(0, e.getValue() - was);
              } else if (startedSince(e.getKey(), before.at())) {
                used += e.getValue();
              }
            }
            cores.put(name, round(used / elapsed));
          }
        });
    long[] machine = machineTicks();
    if (machine != null && lastMachine != null && machine[1] > lastMachine[1]) {
      double busyShare = (double) (machine[0] - lastMachine[0]) / (machine[1] - lastMachine[1]);
      cores.put(MACHINE, round(busyShare * Runtime.getRuntime().availableProcessors()));
    }
    lastMachine = machine;
    return cores;
  }

  private static double round(double cores) {
    return Math.round(cores * 100) / 100.0;
  }

  private static Reading read(ProcessHandle process) {
    return new Reading(cpuSecondsByPid(process), System.nanoTime(), Instant.now());
  }

  private static boolean startedSince(long pid, Instant mark) {
    return ProcessHandle.of(pid)
        .flatMap(p -> p.info().startInstant())
        .map(started -> started.isAfter(mark.minusMillis(50)))
        .orElse(false);
  }

  /** CPU seconds of {@code process} and of each of its descendants, by pid; empty if unreadable. */
  private static Map<Long, Double> cpuSecondsByPid(ProcessHandle process) {
    Map<Long, Double> seconds = new HashMap<>();
    if (process.pid() == ProcessHandle.current().pid()) {
      var os = ManagementFactory.getOperatingSystemMXBean();
      if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
        seconds.put(process.pid(), sun.getProcessCpuTime() / 1e9);
      }
      return seconds;
    }
    double own = ticks(process.pid());
    if (own < 0) {
      return seconds;
    }
    seconds.put(process.pid(), own * TICK_SECONDS);
    for (ProcessHandle child : process.descendants().toList()) {
      double ticks = ticks(child.pid());
      if (ticks >= 0) {
        seconds.put(child.pid(), ticks * TICK_SECONDS);
      }
    }
    return seconds;
  }

  /** Busy and total ticks of all CPUs from {@code /proc/stat}, or null if it cannot be read. */
  private static long[] machineTicks() {
    try {
      String line = Files.readAllLines(Path.of("/proc/stat")).get(0);
      String[] f = line.trim().split("\\s+");
      long total = 0;
      for (int i = 1; i < Math.min(f.length, 9); i++) { // user .. steal
        total += Long.parseLong(f[i]);
      }
      long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]); // idle, iowait
      return new long[] {total - idle, total};
    } catch (IOException | RuntimeException e) {
      return null;
    }
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
