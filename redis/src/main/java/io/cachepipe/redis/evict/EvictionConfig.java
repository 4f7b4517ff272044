package io.cachepipe.redis.evict;

import io.cachepipe.core.config.ConfigField;
import io.cachepipe.core.config.Settings;
import java.time.Duration;

/**
 * How evictions run, wherever they run (the invalidator's eviction step, the cdc stage's flush
 * after a lost replication slot). The keys are the invalidator's, which lists them among its own.
 *
 * @param versionTtl how long a tag's version is kept after its last eviction
 * @param maxRetryBackoff longest wait between eviction retries while Redis is unreachable
 */
public record EvictionConfig(Duration versionTtl, Duration maxRetryBackoff) {

  public static final ConfigField<Duration> VERSION_TTL =
      ConfigField.millis(
          "cachepipe.invalidator.tag.version.ttl.ms",
          86_400_000,
          60_000,
          "How long a tag's version outlives its last eviction; must stay far above the fill"
              + " deadline of every client.");
  public static final ConfigField<Duration> MAX_RETRY_BACKOFF =
      ConfigField.millis(
          "cachepipe.invalidator.redis.max.backoff.ms",
          5_000,
          10,
          "Longest wait between eviction retries while Redis is unreachable.");

  public static EvictionConfig from(Settings settings) {
    return new EvictionConfig(settings.get(VERSION_TTL), settings.get(MAX_RETRY_BACKOFF));
  }
}
