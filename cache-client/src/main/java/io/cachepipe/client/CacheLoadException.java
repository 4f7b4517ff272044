package io.cachepipe.client;

/** The loader of a missed entry failed; the cause is the loader's exception. */
public class CacheLoadException extends RuntimeException {

  public CacheLoadException(String key, Throwable cause) {
    super("loading " + key + " failed: " + cause.getMessage(), cause);
  }
}
