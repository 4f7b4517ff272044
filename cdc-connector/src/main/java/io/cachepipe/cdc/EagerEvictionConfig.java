package io.cachepipe.cdc;

import io.cachepipe.core.config.ConfigField;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Settings;
import java.time.Duration;
import java.util.List;

/**
 * The eviction at capture: whether the cdc stage evicts each batch's tags in Redis itself, in
 * parallel with publishing the batch, and how long it waits for Redis.
 *
 * @param enabled {@code cachepipe.cdc.eager.eviction}, and a Redis configured for this process
 * @param timeout the longest one eager eviction waits for Redis
 */
public record EagerEvictionConfig(boolean enabled, Duration timeout) {

  public static final ConfigField<Boolean> ENABLED =
      ConfigField.bool(
          "cachepipe.cdc.eager.eviction",
          true,
          "Evict each captured batch's tags in Redis at once, in parallel with publishing it to"
              + " Kafka, at each change's commit position; best effort (a failure is counted and"
              + " logged, never retried). The eviction through Kafka stays the authority and skips"
              + " what was evicted here. Only where cachepipe.redis.uri is set; false = evictions"
              + " through Kafka only.");
  public static final ConfigField<Duration> TIMEOUT =
      ConfigField.millis(
          "cachepipe.cdc.eager.eviction.timeout.ms",
          1_000,
          1,
          "Longest an eager eviction waits for Redis before it counts as failed; batches captured"
              + " meanwhile are evicted together in the next round trip.");

  public static final List<ConfigField<?>> FIELDS = List.of(ENABLED, TIMEOUT);

  /**
   * The eager eviction {@code settings} configure: enabled unless switched off or no Redis is
   * configured (a cdc stage run apart without {@code cachepipe.redis.uri} evicts through Kafka
   * only).
   */
  public static EagerEvictionConfig from(Settings settings) {
    boolean redisConfigured = settings.contains(Connections.REDIS_URI.name());
    return new EagerEvictionConfig(settings.get(ENABLED) && redisConfigured, settings.get(TIMEOUT));
  }
}
