package io.cachepipe.redis;

import io.lettuce.core.RedisCommandExecutionException;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Tells a Redis failure that a retry may cure from one that it never will. Only an error reply of
 * Redis can be permanent: a lost connection, a timeout or a refused connection is always transient.
 * Among error replies, those that say the server or the cluster is not ready yet (LOADING, BUSY,
 * TRYAGAIN, CLUSTERDOWN, MASTERDOWN, READONLY during a failover, OOM and MISCONF until memory or
 * disk frees up, MOVED/ASK that Lettuce follows, NOSCRIPT that the caller answers by loading the
 * script, and "ERR max number of clients reached") are transient; every other one (WRONGTYPE,
 * CROSSSLOT, NOPERM, a script's own error …) comes back the same on every retry.
 */
public final class RedisFailures {

  private static final Set<String> TRANSIENT_REPLIES =
      Set.of(
          "LOADING",
          "BUSY",
          "TRYAGAIN",
          "CLUSTERDOWN",
          "MASTERDOWN",
          "READONLY",
          "OOM",
          "MISCONF",
          "NOREPLICAS",
          "MOVED",
          "ASK",
          "NOSCRIPT");

  /**
   * Generic {@code ERR} replies that describe the server's state, not the command: a retry after
   * clients disconnect succeeds.
   */
  private static final Set<String> TRANSIENT_ERR_REPLIES = Set.of("ERR max number of clients");

  private RedisFailures() {}

  /** Whether {@code failure} (possibly wrapped by a future) is an error reply no retry cures. */
  public static boolean isPermanent(Throwable failure) {
    Throwable cause = unwrap(failure);
    return cause instanceof RedisCommandExecutionException
        && !TRANSIENT_REPLIES.contains(errorCode(cause.getMessage()))
        && !isTransientErr(cause.getMessage());
  }

  private static boolean isTransientErr(String message) {
    String reply = message == null ? "" : message.strip();
    return TRANSIENT_ERR_REPLIES.stream().anyMatch(reply::startsWith);
  }

  /** The failure itself, without the future's wrapping. */
  public static Throwable unwrap(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof ExecutionException || t instanceof CompletionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** A short reason for logs, dead letters and health: the error reply, or the failure's type. */
  public static String reason(Throwable failure) {
    Throwable cause = unwrap(failure);
    String message = cause.getMessage();
    return message == null || message.isBlank() ? cause.getClass().getSimpleName() : message;
  }

  private static String errorCode(String message) {
    if (message == null) {
      return "";
    }
    String trimmed = message.strip();
    int space = trimmed.indexOf(' ');
    return space < 0 ? trimmed : trimmed.substring(0, space);
  }
}
