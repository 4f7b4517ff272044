package io.cachepipe.core.json;

/**
 * A message that does not follow its contract: not JSON, a wrong schema version, a missing field.
 * Stages dead-letter such a message with {@link #getMessage()} as the reason and go on.
 */
public class MalformedMessageException extends RuntimeException {

  public MalformedMessageException(String message) {
    super(message);
  }

  public MalformedMessageException(String message, Throwable cause) {
    super(message, cause);
  }
}
