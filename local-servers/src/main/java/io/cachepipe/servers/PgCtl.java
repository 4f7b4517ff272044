package io.cachepipe.servers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code pg_ctl} for a {@link LocalPostgres} server's directory, run as zonky runs it: through
 * {@code unshare -U} when this JVM runs as root, which {@code pg_ctl} refuses. Also finds (and, on
 * a failed start, kills) the postmaster of a data directory by its pid file.
 */
final class PgCtl {

  private final ScratchDirectory dir;

  /**
   * @param dir the server's directory: {@code data/}, {@code postgres.log}, {@code pg_ctl.log}
   */
  PgCtl(ScratchDirectory dir) {
    this.dir = dir;
  }

  /**
   * The command line the postmaster last ran with, from {@code postmaster.opts}: the binary, then
   * its options, each quoted as a shell word (which is how {@code pg_ctl -o} passes them on).
   */
  private List<String> lastCommandLine() {
    Path opts = dir.resolve("data").resolve("postmaster.opts");
    try {
      String line = Files.readString(opts).trim();
      int end = line.indexOf(' ');
      return end < 0 ? List.of(line, "") : List.of(line.substring(0, end), line.substring(end + 1));
    } catch (IOException e) {
      throw new LocalServerException("cannot read " + opts, e);
    }
  }

  String serverOptions() {
    return lastCommandLine().get(1);
  }

  void run(String... arguments) {
    Path pgCtl = Path.of(lastCommandLine().get(0)).resolveSibling("pg_ctl");
    List<String> command = new ArrayList<>();
    if ("root".equals(System.getProperty("user.name"))) {
      command.addAll(List.of("unshare", "-U"));
    }
    command.add(pgCtl.toString());
    command.addAll(List.of(arguments));
    Path log = dir.resolve("pg_ctl.log");
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    try {
      Process process = builder.start();
      if (!process.waitFor(90, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new LocalServerException("pg_ctl " + arguments[0] + " hung: " + command);
      }
      if (process.exitValue() != 0) {
        throw new LocalServerException(
            "pg_ctl "
                + arguments[0]
                + " exited with "
                + process.exitValue()
                + ". Its output:\n"
                + ChildOutput.toFile(log).tail(20)
                + "\nThe server's log:\n"
                + ChildOutput.toFile(dir.resolve("postgres.log")).tail(20));
      }
    } catch (IOException e) {
      throw new LocalServerException("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LocalServerException("interrupted while running pg_ctl " + arguments[0], e);
    }
  }

  static ProcessHandle postmasterProcess(Path data) {
    Path pidFile = data.resolve("postmaster.pid");
    try {
      long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
      return ProcessHandle.of(pid)
          .orElseThrow(() -> new LocalServerException("postmaster " + pid + " is not running"));
    } catch (IOException | RuntimeException e) {
      throw new LocalServerException("cannot read the postmaster's pid from " + pidFile, e);
    }
  }

  static void killPostmaster(Path data) {
    if (Files.exists(data.resolve("postmaster.pid"))) {
      try {
        ProcessHandle postmaster = postmasterProcess(data);
        postmaster.descendants().forEach(ProcessHandle::destroyForcibly);
        postmaster.destroyForcibly();
      } catch (LocalServerException e) {
        // Nothing left to kill.
      }
    }
  }
}
