package io.cachepipe.core.change;

/**
 * The range a WAL position (LSN) may take in cachepipe's messages and Redis keys: 0 to 2^53 - 1.
 * The Redis scripts compare positions as Lua numbers (doubles), exact only below 2^53, and write
 * them back as decimal text that readers parse as a {@code long}; a PostgreSQL server would have to
 * write 8 PiB of WAL to reach the bound. A position outside it is forged or corrupt: the stages
 * dead-letter the message that carries it, and readers ignore it.
 */
public final class WalPositions {

  /** The largest position accepted. */
  public static final long MAX = (1L << 53) - 1;

  private WalPositions() {}

  /**
   * Returns {@code value} if it is a position in range.
   *
   * @throws IllegalArgumentException naming {@code field} otherwise
   */
  public static long check(String field, long value) {
    if (value < 0 || value > MAX) {
      throw new IllegalArgumentException(
          "field '" + field + "' " + value + " is out of range: expected 0 to 2^53 - 1");
    }
    return value;
  }

  /** The position {@code text} holds, or -1 when it is not a decimal position in range. */
  public static long parse(String text) {
    if (text == null || text.isEmpty() || text.length() > 16) {
      return -1;
    }
    long value = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value <= MAX ? value : -1;
  }
}
