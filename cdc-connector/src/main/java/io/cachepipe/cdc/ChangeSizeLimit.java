package io.cachepipe.cdc;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The largest change value the changes topic takes: the producer's {@code max.request.size}, and
 * the topic's {@code max.message.bytes} when the broker tells it, less room for the record's key,
 * headers and batch framing.
 *
 * <p>The producer checks a record's uncompressed size against {@code max.request.size} before it
 * compresses anything, so compression never lets a bigger record through that check; it only
 * shrinks what the broker compares with {@code max.message.bytes}. A limit on uncompressed bytes is
 * therefore what decides.
 */
final class ChangeSizeLimit {

  private static final Logger LOG = LoggerFactory.getLogger(ChangeSizeLimit.class);

  /** Record and batch framing, headers and a margin; the key is subtracted per record. */
  static final int FRAMING = 1_024;

  private ChangeSizeLimit() {}

  /**
   * @param producerConfig the changes producer's properties
   * @param adminConfig what an admin client needs to read the topic's configuration
   */
  static int of(Map<String, Object> producerConfig, Map<String, Object> adminConfig, String topic) {
    int limit = producerLimit(producerConfig);
    OptionalInt topicLimit = topicLimit(adminConfig, topic);
    if (topicLimit.isPresent() && topicLimit.getAsInt() < limit) {
      limit = topicLimit.getAsInt();
    }
    return Math.max(limit - FRAMING, FRAMING);
  }

  static int producerLimit(Map<String, Object> producerConfig) {
    Object configured = producerConfig.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
    if (configured == null) {
      return 1_048_576; // the producer's default
    }
    return configured instanceof Number n ? n.intValue() : Integer.parseInt(configured.toString());
  }

  private static OptionalInt topicLimit(Map<String, Object> adminConfig, String topic) {
    Map<String, Object> config = new HashMap<>(adminConfig);
    // The admin client refuses an API timeout below its request timeout (30 s by default): both.
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    try (Admin admin = Admin.create(config)) {
      Config described =
          admin.describeConfigs(List.of(resource)).all().get(10, TimeUnit.SECONDS).get(resource);
      ConfigEntry entry =
          described == null ? null : described.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
      if (entry == null || entry.value() == null) {
        return OptionalInt.empty();
      }
      return OptionalInt.of(Integer.parseInt(entry.value()));
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      // Not allowed to describe it, say: the producer's own limit still holds.
      LOG.info(
          "cannot read {} of topic {} ({}); sizing changes by the producer's limit",
          TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
          topic,
          e.getCause() == null ? e.getMessage() : e.getMessage() + ": " + e.getCause());
      return OptionalInt.empty();
    }
  }
}
