package io.cachepipe.core.concurrent;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Makes the background threads of cachepipe's stages: daemon threads, so that none of them keeps a
 * JVM alive whose stages were closed or whose main thread ended, and named, so that a thread dump
 * says which stage each one serves.
 */
public final class DaemonThreads implements ThreadFactory {

  private final String name;
  private final AtomicInteger counter;

  private DaemonThreads(String name, boolean numbered) {
    this.name = name;
    this.counter = numbered ? new AtomicInteger() : null;
  }

  /** A factory whose threads are all called {@code name}. */
  public static DaemonThreads named(String name) {
    return new DaemonThreads(name, false);
  }

  /** A factory whose threads are called {@code prefix-1}, {@code prefix-2}, and so on. */
  public static DaemonThreads numbered(String prefix) {
    return new DaemonThreads(prefix, true);
  }

  /** Runs {@code task} on a new daemon thread called {@code name}. */
  public static Thread start(String name, Runnable task) {
    Thread thread = named(name).newThread(task);
    thread.start();
    return thread;
  }

  @Override
  public Thread newThread(Runnable task) {
    String threadName = counter == null ? name : name + "-" + counter.incrementAndGet();
    Thread thread = new Thread(task, threadName);
    thread.setDaemon(true);
    return thread;
  }
}
