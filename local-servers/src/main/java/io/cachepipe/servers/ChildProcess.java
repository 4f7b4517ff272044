package io.cachepipe.servers;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server process that {@link ChildProcesses} started or adopted. Stopping it ends the whole
 * process tree: a graceful stop first, then {@link ProcessHandle#destroyForcibly()} on whatever is
 * still alive after {@link ChildProcesses#GRACE_PERIOD}.
 */
public final class ChildProcess {

  private static final Logger LOG = LoggerFactory.getLogger(ChildProcess.class);
  private static final Duration KILL_WAIT = Duration.ofSeconds(5);

  private final String name;
  private final ProcessHandle handle;
  private final Process process;
  private final ChildOutput output;
  private final Runnable gracefulStop;
  private final List<Runnable> cleanups = new CopyOnWriteArrayList<>();
  private boolean stopped;

  ChildProcess(
      String name,
      ProcessHandle handle,
      Process process,
      ChildOutput output,
      Runnable gracefulStop) {
    this.name = name;
    this.handle = handle;
    this.process = process;
    this.output = output;
    this.gracefulStop = gracefulStop;
  }

  /** The name given at start, used in logs and errors. */
  public String name() {
    return name;
  }

  /** The operating system's process id. */
  public long pid() {
    return handle.pid();
  }

  /** The process itself; its {@link ProcessHandle#descendants()} are part of this child too. */
  public ProcessHandle handle() {
    return handle;
  }

  /** Whether the process is still running. */
  public boolean isAlive() {
    return handle.isAlive();
  }

  /**
   * The exit code, if the process has exited and this JVM started it (the exit code of an adopted
   * process is its real parent's to read).
   */
  public OptionalInt exitValue() {
    return process != null && !process.isAlive()
        ? OptionalInt.of(process.exitValue())
        : OptionalInt.empty();
  }

  /** The last {@code maxLines} lines of the process's output. */
  public String outputTail(int maxLines) {
    return output.tail(maxLines);
  }

  /** Where the process's output goes. */
  public ChildOutput output() {
    return output;
  }

  /**
   * Waits up to {@code timeout} for the process to exit. Readiness loops wait with this between
   * probes: it paces them and notices a server that died at once.
   *
   * @return whether the process has exited
   */
  public boolean awaitExit(Duration timeout) {
    try {
      handle.onExit().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      throw new LocalServerException("cannot wait for " + this, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LocalServerException("interrupted while waiting for " + this, e);
    }
  }

  /** Runs {@code cleanup} once the process tree is gone, however it was stopped. */
  public void whenStopped(Runnable cleanup) {
    cleanups.add(cleanup);
  }

  /**
   * Stops the process and all its descendants and runs the cleanups. Idempotent; a second caller
   * waits for the first to finish.
   */
  public synchronized void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    long start = System.nanoTime();
    // Children are re-parented once their parent dies: take the tree before stopping anything.
    List<ProcessHandle> tree = tree();
    stopGracefully(tree);
    if (!awaitAll(tree, ChildProcesses.GRACE_PERIOD)) {
      LOG.warn("{} still running after {}; killing it", this, ChildProcesses.GRACE_PERIOD);
      tree.forEach(ProcessHandle::destroyForcibly);
      if (!awaitAll(tree, KILL_WAIT)) {
        LOG.error("{} survived SIGKILL: {}", this, alive(tree));
      }
    }
    ChildProcesses.forget(this);
    LOG.info("stopped {} in {} ms", this, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    for (Runnable cleanup : cleanups) {
      try {
        cleanup.run();
      } catch (RuntimeException e) {
        LOG.warn("cleanup after {} failed", this, e);
      }
    }
  }

  private List<ProcessHandle> tree() {
    List<ProcessHandle> tree = new ArrayList<>();
    tree.add(handle);
    handle.descendants().forEach(tree::add);
    return tree;
  }

  private void stopGracefully(List<ProcessHandle> tree) {
    if (gracefulStop != null) {
      try {
        gracefulStop.run();
      } catch (RuntimeException e) {
        LOG.warn("graceful stop of {} failed; terminating it", this, e);
        tree.forEach(ProcessHandle::destroy);
      }
    } else {
      tree.forEach(ProcessHandle::destroy);
    }
  }

  private static boolean awaitAll(List<ProcessHandle> tree, Duration timeout) {
    // All waits at once: for a process that is not our child, onExit polls from 300 ms on.
    CompletableFuture<?>[] exits =
        tree.stream()
            .filter(ProcessHandle::isAlive)
            .map(ProcessHandle::onExit)
            .toArray(CompletableFuture[]::new);
    try {
      CompletableFuture.allOf(exits).get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      return true;
    } catch (TimeoutException | ExecutionException e) {
      return tree.stream().noneMatch(ProcessHandle::isAlive);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static String alive(List<ProcessHandle> tree) {
    return tree.stream()
        .filter(ProcessHandle::isAlive)
        .map(p -> Long.toString(p.pid()))
        .collect(Collectors.joining(", ", "pids [", "]"));
  }

  @Override
  public String toString() {
    return name + " (pid " + handle.pid() + ")";
  }
}
