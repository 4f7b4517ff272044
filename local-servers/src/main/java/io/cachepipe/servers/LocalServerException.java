package io.cachepipe.servers;

/**
 * A local server could not be started, reached or stopped. The message says which server, what was
 * expected and, where there is one, ends with the tail of the server's own output.
 */
public class LocalServerException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** A failure without an underlying cause. */
  public LocalServerException(String message) {
    super(message);
  }

  /** A failure caused by {@code cause}. */
  public LocalServerException(String message, Throwable cause) {
    super(message, cause);
  }
}
