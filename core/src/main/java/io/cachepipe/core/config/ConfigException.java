package io.cachepipe.core.config;

/** A configuration value is missing, malformed or inconsistent; the message names the key. */
public class ConfigException extends RuntimeException {

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }

  /** "{@code key}: expected {@code expected}, got '{@code value}'". */
  public static ConfigException badValue(String key, String expected, String value) {
    return new ConfigException(key + ": expected " + expected + ", got '" + value + "'");
  }
}
