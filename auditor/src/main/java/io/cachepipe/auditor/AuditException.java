package io.cachepipe.auditor;

/** An audit that could not be done: Redis or PostgreSQL failed, or an entry's query did. */
public final class AuditException extends RuntimeException {

  public AuditException(String message, Throwable cause) {
    super(message, cause);
  }
}
