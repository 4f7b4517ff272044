package io.cachepipe.cdc;

/** The cdc-connector cannot capture: the message says what is wrong and how to fix it. */
public class CdcException extends RuntimeException {

  public CdcException(String message) {
    super(message);
  }

  public CdcException(String message, Throwable cause) {
    super(message, cause);
  }
}
