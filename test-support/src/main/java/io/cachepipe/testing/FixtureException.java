package io.cachepipe.testing;

/** A test server could not be chosen, started or used. */
public class FixtureException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** A failure without an underlying cause. */
  public FixtureException(String message) {
    super(message);
  }

  /** A failure caused by {@code cause}. */
  public FixtureException(String message, Throwable cause) {
    super(message, cause);
  }
}
