package io.cachepipe.invalidator;

import io.cachepipe.core.config.ConfigField;
import io.cachepipe.core.config.Settings;
import io.cachepipe.redis.evict.EvictionConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The invalidator's own settings. Anything under {@code kafka.streams.} goes to Kafka Streams
 * untouched and wins over cachepipe's defaults.
 *
 * @param applicationId the Streams application id (its consumer group): instances with the same id
 *     share the partitions
 * @param stateDir Kafka Streams' state directory
 * @param eviction the eviction step's version TTL and retry backoff (keys listed here, read by
 *     {@link EvictionConfig} wherever evictions run)
 * @param coalesceDelay longest a hot tag's invalidation is held to coalesce it; zero turns it off
 * @param streams {@code kafka.streams.*} properties
 */
public record InvalidatorConfig(
    String applicationId,
    String stateDir,
    EvictionConfig eviction,
    Duration coalesceDelay,
    Map<String, String> streams) {

  public static final ConfigField<String> APPLICATION_ID =
      ConfigField.string(
          "cachepipe.invalidator.application.id",
          "cachepipe-invalidator",
          "Kafka Streams application id; instances sharing it share the partitions.");
  public static final ConfigField<String> STATE_DIR =
      ConfigField.string(
          "cachepipe.invalidator.state.dir",
          System.getProperty("java.io.tmpdir") + "/cachepipe-streams",
          "Kafka Streams state directory.");
  public static final ConfigField<Duration> VERSION_TTL = EvictionConfig.VERSION_TTL;
  public static final ConfigField<Duration> MAX_RETRY_BACKOFF = EvictionConfig.MAX_RETRY_BACKOFF;

  public static final ConfigField<Duration> COALESCE_DELAY =
      ConfigField.millis(
          "cachepipe.invalidator.coalesce.max.delay.ms",
          20,
          0,
          "Longest a hot tag's invalidation is held so that the invalidations of a write storm"
              + " leave as one per window; a tag's first invalidation is never held. 0 = off.");

  public static final List<ConfigField<?>> FIELDS =
      List.of(APPLICATION_ID, STATE_DIR, VERSION_TTL, MAX_RETRY_BACKOFF, COALESCE_DELAY);

  /** Prefix of the keys passed to Kafka Streams untouched. */
  public static final String PASS_THROUGH_PREFIX = "kafka.streams.";

  public static InvalidatorConfig from(Settings settings) {
    return new InvalidatorConfig(
        settings.get(APPLICATION_ID),
        settings.get(STATE_DIR),
        EvictionConfig.from(settings),
        settings.get(COALESCE_DELAY),
        settings.subtree(PASS_THROUGH_PREFIX));
  }
}
