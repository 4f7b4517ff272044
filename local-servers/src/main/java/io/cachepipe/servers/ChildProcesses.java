package io.cachepipe.servers;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that starts server processes. Every child is remembered until it is stopped, and
 * one JVM shutdown hook stops all that remain, so that no server outlives the JVM that started it
 * (also on Ctrl-C or SIGTERM; only a SIGKILL of the JVM skips shutdown hooks).
 */
public final class ChildProcesses {

  /** How long a child gets to stop gracefully before it and its descendants are killed. */
  public static final Duration GRACE_PERIOD = Duration.ofSeconds(10);

  private static final Logger LOG = LoggerFactory.getLogger(ChildProcesses.class);
  private static final Set<ChildProcess> RUNNING = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(ChildProcesses::stopAll, "cachepipe-stop-child-processes"));
  }

  private ChildProcesses() {}

  /**
   * Starts {@code builder}'s command with its output sent to {@code output}.
   *
   * @param name a short name for logs and errors, such as {@code redis-server}
   * @throws LocalServerException if the process cannot be started
   */
  public static ChildProcess start(String name, ProcessBuilder builder, ChildOutput output) {
    output.redirect(builder);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new LocalServerException("cannot start " + name + ": " + builder.command(), e);
    }
    output.started(process, name);
    ChildProcess child = new ChildProcess(name, process.toHandle(), process, output, null);
    RUNNING.add(child);
    LOG.info("started {}, output to {}", child, output);
    return child;
  }

  /**
   * Takes charge of a server process that this JVM did not start directly, such as a PostgreSQL
   * postmaster that {@code pg_ctl} detached.
   *
   * @param gracefulStop asks the server to stop and may wait for it; it is followed by a kill of
   *     the whole tree if the server is still running after {@link #GRACE_PERIOD}
   */
  public static ChildProcess adopt(
      String name, ProcessHandle handle, ChildOutput output, Runnable gracefulStop) {
    ChildProcess child = new ChildProcess(name, handle, null, output, gracefulStop);
    RUNNING.add(child);
    LOG.info("adopted {}, output in {}", child, output);
    return child;
  }

  /** The children not yet stopped. */
  public static List<ChildProcess> running() {
    return List.copyOf(RUNNING);
  }

  static void forget(ChildProcess child) {
    RUNNING.remove(child);
  }

  /** Stops every remaining child, all at the same time, and waits for them. */
  static void stopAll() {
    List<Thread> stoppers = new ArrayList<>();
    for (ChildProcess child : running()) {
      Thread stopper = new Thread(child::stop, "stop-" + child.name());
      stopper.start();
      stoppers.add(stopper);
    }
    for (Thread stopper : stoppers) {
      try {
        stopper.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
