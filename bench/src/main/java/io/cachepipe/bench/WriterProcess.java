package io.cachepipe.bench;

import io.cachepipe.core.concurrent.DaemonThreads;
import io.cachepipe.core.config.Connections;
import io.cachepipe.servers.ExitWithParent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The load generator's writers ({@link LoadWriters}) in a child JVM, so that the benchmark's own
 * JVM, whose CPU is reported as the sidecar's, runs the pipeline's stages alone. The child ends
 * with its standard input ({@link #stop()}), and by itself when this JVM is gone ({@link
 * ExitWithParent}).
 */
final class WriterProcess implements AutoCloseable {

  private final Process process;
  private final AtomicLong rows = new AtomicLong();
  private final CompletableFuture<Void> done = new CompletableFuture<>();

  private WriterProcess(Process process, CompletableFuture<Throwable> failure) {
    this.process = process;
    DaemonThreads.start("bench-writers-output", () -> read(failure));
  }

  /**
   * Starts writers that offer {@code txPerSecond} transactions of {@code rowsPerTx} rows over
   * {@code connections} connections to the database of {@code connections}.
   *
   * @param failure completed with the reason if the writers fail
   */
  static WriterProcess start(
      Connections db,
      double txPerSecond,
      int rowsPerTx,
      int writers,
      long seed,
      long posts,
      CompletableFuture<Throwable> failure)
      throws IOException {
    String java =
        ProcessHandle.current()
            .info()
            .command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> command = new ArrayList<>();
    command.add(java);
    command.add("-Xmx128m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(ExitWithParent.class.getName());
    command.add(LoadWriters.class.getName());
    command.add(Double.toString(txPerSecond));
    command.add(Integer.toString(rowsPerTx));
    command.add(Integer.toString(writers));
    command.add(Long.toString(seed));
    command.add(Long.toString(posts));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("CACHEPIPE_BENCH_PG_URL", db.postgresUrl());
    builder.environment().put("CACHEPIPE_BENCH_PG_USER", db.postgresUser());
    builder.environment().put("PGPASSWORD", db.postgresPassword());
    builder.redirectError(ProcessBuilder.Redirect.INHERIT);
    return new WriterProcess(builder.start(), failure);
  }

  private void read(CompletableFuture<Throwable> failure) {
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith("rows ")) {
          rows.set(Long.parseLong(line.substring(5).trim()));
        } else if (line.startsWith("failed ")) {
          failure.complete(new IllegalStateException("writers: " + line.substring(7)));
        } else if (line.equals("done")) {
          done.complete(null);
        }
      }
    } catch (IOException | NumberFormatException e) {
      failure.complete(e);
    } finally {
      done.complete(null);
    }
  }

  /** The writers' process, for CPU accounting. */
  ProcessHandle handle() {
    return process.toHandle();
  }

  /** Rows the writers committed so far (as of their last report, at most 100 ms old). */
  long rows() {
    return rows.get();
  }

  /** Stops the writers and waits for their last count. */
  void stop() throws Exception {
    process.getOutputStream().close();
    done.get(60, TimeUnit.SECONDS);
    process.waitFor(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    process.destroy();
  }
}
