package io.cachepipe.pgtools;

/** A database tool cannot answer; the message is one line that says why and, if known, the fix. */
public class ToolException extends RuntimeException {

  public ToolException(String message) {
    super(message);
  }

  public ToolException(String message, Throwable cause) {
    super(message, cause);
  }
}
