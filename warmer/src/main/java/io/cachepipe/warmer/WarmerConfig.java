package io.cachepipe.warmer;

import io.cachepipe.core.config.ConfigField;
import io.cachepipe.core.config.Settings;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The warmer's own settings. Anything under {@code kafka.consumer.} goes to its Kafka consumer.
 *
 * @param groupId consumer group: warmer instances sharing it share the partitions
 * @param poolSize PostgreSQL connections, and so recomputes that run at once
 * @param maxRecomputesPerSecond recompute queries started a second, at most, on average (a batch
 *     query counts once)
 * @param statementTimeout longest a warm query may run; PostgreSQL cancels it then, and the entry
 *     stays evicted
 * @param consumer {@code kafka.consumer.*} properties
 */
public record WarmerConfig(
    String groupId,
    int poolSize,
    int maxRecomputesPerSecond,
    Duration statementTimeout,
    Map<String, String> consumer) {

  public static final ConfigField<String> GROUP_ID =
      ConfigField.string(
          "cachepipe.warmer.group.id",
          "cachepipe-warmer",
          "Kafka consumer group of the warmer; instances sharing it share the partitions.");
  public static final ConfigField<Integer> POOL_SIZE =
      ConfigField.integer(
          "cachepipe.warmer.pool.size",
          4,
          1,
          256,
          "PostgreSQL connections of the warmer, and so the recomputes that run at once.");

  public static final ConfigField<Integer> MAX_RECOMPUTES_PER_SECOND =
      ConfigField.integer(
          "cachepipe.warmer.max.recomputes.per.second",
          1000,
          1,
          1_000_000,
          "Recompute queries the warmer starts a second, at most (bursts of one second's worth;"
              + " a batch query of many entries counts once): a write storm backs up as consumer"
              + " lag instead of flooding PostgreSQL.");

  public static final ConfigField<Duration> STATEMENT_TIMEOUT =
      ConfigField.millis(
          "cachepipe.warmer.statement.timeout.ms",
          5_000,
          1,
          "Longest a warm query may run (PostgreSQL's statement_timeout on the warmer's"
              + " connections); one that takes longer is cancelled and its entry stays evicted,"
              + " which is always safe. Counted, and reported by the warmer's health.");

  public static final List<ConfigField<?>> FIELDS =
      List.of(GROUP_ID, POOL_SIZE, MAX_RECOMPUTES_PER_SECOND, STATEMENT_TIMEOUT);

  public static WarmerConfig from(Settings settings) {
    return new WarmerConfig(
        settings.get(GROUP_ID),
        settings.get(POOL_SIZE),
        settings.get(MAX_RECOMPUTES_PER_SECOND),
        settings.get(STATEMENT_TIMEOUT),
        settings.subtree("kafka.consumer."));
  }
}
