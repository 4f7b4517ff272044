package io.cachepipe.sidecar;

import io.cachepipe.cdc.ChangeCapture;
import io.cachepipe.core.config.Settings;
import io.cachepipe.invalidator.Invalidator;
import io.cachepipe.warmer.Warmer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The stages one process hosts, started downstream first and stopped upstream first. */
public final class Pipeline implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

  private final Deque<AutoCloseable> started = new ArrayDeque<>();
  private Warmer warmer;
  private Invalidator invalidator;
  private ChangeCapture capture;

  private Pipeline() {}

  /**
   * Starts {@code stages}; if one fails to start, those already started are stopped.
   *
   * @param onFailure called when a running stage fails by itself
   */
  public static Pipeline start(
      Settings settings, Set<Stage> stages, Consumer<Throwable> onFailure) {
    Pipeline pipeline = new Pipeline();
    try {
      if (stages.contains(Stage.WARMER)) {
        pipeline.warmer = pipeline.track(Warmer.start(settings, onFailure));
      }
      if (stages.contains(Stage.INVALIDATOR)) {
        pipeline.invalidator = pipeline.track(Invalidator.start(settings, onFailure));
        if (pipeline.warmer != null) {
          pipeline.invalidator.onEvictionReported(pipeline.warmer);
        }
      }
      if (stages.contains(Stage.CDC)) {
        pipeline.capture = pipeline.track(ChangeCapture.start(settings, onFailure));
        if (pipeline.warmer != null) {
          pipeline.capture.onEvictionReported(pipeline.warmer);
        }
      }
    } catch (RuntimeException e) {
      pipeline.close();
      throw e;
    }
    LOG.info("running stages {}", stages);
    return pipeline;
  }

  private <T extends AutoCloseable> T track(T stage) {
    started.push(stage);
    return stage;
  }

  /** Whether every stage this process runs is running: streaming, and its consumers assigned. */
  public boolean isReady() {
    return (capture == null || capture.isStreaming())
        && (invalidator == null || invalidator.isReady())
        && (warmer == null || warmer.isReady());
  }

  /** Waits until {@link #isReady()}, or fails after {@code timeout}. */
  public void awaitReady(Duration timeout) throws TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!isReady()) {
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("stages not ready after " + timeout);
      }
      LockSupport.parkNanos(20_000_000L);
    }
  }

  /** The cdc stage, or null if this process does not run it. */
  public ChangeCapture capture() {
    return capture;
  }

  /** The invalidator stage, or null. */
  public Invalidator invalidator() {
    return invalidator;
  }

  /** The warmer stage, or null. */
  public Warmer warmer() {
    return warmer;
  }

  @Override
  public void close() {
    while (!started.isEmpty()) {
      AutoCloseable stage = started.pop();
      try {
        stage.close();
      } catch (Exception e) {
        LOG.warn("stopping {}: {}", stage.getClass().getSimpleName(), e.getMessage());
      }
    }
  }
}
