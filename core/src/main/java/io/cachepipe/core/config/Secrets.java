package io.cachepipe.core.config;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What counts as a secret in configuration, and how it is masked wherever a value, or a message
 * that may quote one, is shown: whole values of secret keys, credentials inside URIs ({@code
 * redis://user:password@host}) and {@code password=...} parameters (JDBC URLs, JAAS configs).
 */
public final class Secrets {

  /** What a secret is shown as. */
  public static final String MASK = "********";

  /** A key whose name contains one of these holds a secret as a whole. */
  static final List<String> SECRET_KEY_PARTS =
      List.of(
          "password",
          "passwd",
          "secret",
          "token",
          "sasl.jaas.config",
          "credentials",
          // Kafka's ssl.keystore.key: a PEM private key given inline.
          "keystore.key",
          "private.key");

  /** A key that names where a secret is ({@code cachepipe.postgres.password.file}) holds none. */
  private static final String FILE_SUFFIX = ".file";

  /** A PEM private key, as a value or inside a message (its line breaks possibly escaped). */
  private static final Pattern PEM_PRIVATE_KEY =
      Pattern.compile(
          "-----BEGIN ([A-Z ]*)PRIVATE KEY-----.*?(-----END \\1PRIVATE KEY-----|$)",
          Pattern.DOTALL);

  /**
   * {@code scheme://userinfo@}, also with the slashes escaped as JSON log lines may write them
   * ({@code :\/\/}); the userinfo stops at the first '/' or '@'.
   */
  private static final Pattern URI_USERINFO =
      Pattern.compile("(?i)\\b([a-z][a-z0-9+.-]*)(:\\\\?/\\\\?/)([^\\s/@]*)@");

  /**
   * The start of {@code password=value}, {@code sslpassword=value}, {@code token="value"}, also
   * with the quote escaped as JSON log lines write it ({@code password=\"value\"}); where the value
   * ends depends on its quote ({@link #valueEnd}).
   */
  private static final Pattern SECRET_PARAMETER =
      Pattern.compile(
          "(?i)\\b[a-z0-9_.-]*(?:password|passwd|secret|token)[a-z0-9_.-]*=(\\\\\"|\"|'|)");

  private Secrets() {}

  /** Whether {@code key}'s whole value is a secret, by its name. */
  public static boolean isSecretKey(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    return !k.endsWith(FILE_SUFFIX) && SECRET_KEY_PARTS.stream().anyMatch(k::contains);
  }

  /**
   * {@code value} as it may be shown: {@link #MASK} for a non-empty secret (a secret field, or a
   * key named like one), else with any credentials inside it masked.
   */
  public static String mask(String key, String value, boolean secretField) {
    if (value == null || value.isEmpty()) {
      return value;
    }
    if (secretField || isSecretKey(key)) {
      return MASK;
    }
    return maskCredentials(value);
  }

  /**
   * {@code text} with the passwords of URIs and {@code password=} style parameters masked. For
   * {@code redis://} and {@code rediss://} a userinfo without a colon is a password (Lettuce reads
   * it so), for other schemes a user name.
   */
  public static String maskCredentials(String text) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    Matcher uri = URI_USERINFO.matcher(text);
    StringBuilder out = new StringBuilder();
    while (uri.find()) {
      String scheme = uri.group(1);
      String separator = uri.group(2);
      String userInfo = uri.group(3);
      int colon = userInfo.indexOf(':');
      String masked;
      if (colon >= 0) {
        masked = userInfo.substring(0, colon) + ":" + MASK;
      } else if (scheme.toLowerCase(Locale.ROOT).startsWith("redis")) {
        masked = MASK;
      } else {
        masked = userInfo;
      }
      uri.appendReplacement(out, Matcher.quoteReplacement(scheme + separator + masked + "@"));
    }
    uri.appendTail(out);
    String masked = maskParameters(out.toString());
    return PEM_PRIVATE_KEY.matcher(masked).replaceAll(Matcher.quoteReplacement(MASK));
  }

  /**
   * Masks the value of every {@code password=} style parameter: a quoted value up to its closing
   * quote, whatever it holds ({@code ;}, {@code ,}, spaces), an unquoted one up to the {@code &}
   * that separates URL parameters, or the space, quote or backslash that ends it in a message.
   */
  private static String maskParameters(String text) {
    Matcher parameter = SECRET_PARAMETER.matcher(text);
    StringBuilder out = new StringBuilder();
    int copied = 0;
    while (parameter.find(copied)) {
      int start = parameter.end();
      int end = valueEnd(text, start, parameter.group(1));
      out.append(text, copied, start);
      if (end > start) {
        out.append(MASK);
      }
      copied = end;
    }
    return out.append(text, copied, text.length()).toString();
  }

  private static int valueEnd(String text, int start, String quote) {
    if (!quote.isEmpty()) {
      int close = text.indexOf(quote, start);
      return close < 0 ? text.length() : close;
    }
    int end = start;
    while (end < text.length()
        && "&\"'\\".indexOf(text.charAt(end)) < 0
        && !Character.isWhitespace(text.charAt(end))) {
      end++;
    }
    return end;
  }
}
