package io.cachepipe.testing;

import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Names that no other test of this JVM gets: a readable prefix, a sequence number, and a random
 * part in case two JVMs share a server.
 */
final class UniqueNames {

  private static final AtomicLong SEQUENCE = new AtomicLong();

  private UniqueNames() {}

  /** A PostgreSQL identifier: lower case, digits and underscores, at most 63 characters. */
  static String database(String prefix) {
    String base = prefix.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    if (base.isEmpty() || !Character.isLetter(base.charAt(0))) {
      base = "db_" + base;
    }
    return truncate(base, 40) + "_" + suffix("_");
  }

  /** Legal in a Kafka topic name (letters, digits, '.', '_', '-'), at most about 120 characters. */
  static String topicPrefix(String name) {
    String base = name.replaceAll("[^a-zA-Z0-9._-]", "-");
    return truncate(base.isEmpty() ? "topic" : base, 100) + "-" + suffix("-");
  }

  private static String suffix(String separator) {
    String random = Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36);
    return SEQUENCE.incrementAndGet() + separator + random;
  }

  private static String truncate(String text, int length) {
    return text.length() <= length ? text : text.substring(0, length);
  }
}
