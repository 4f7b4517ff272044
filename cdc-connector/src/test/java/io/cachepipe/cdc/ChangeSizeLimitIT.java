package io.cachepipe.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.cachepipe.testing.TestServers;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;

/** The changes topic's own limit, read from a real broker, caps a change's size. */
class ChangeSizeLimitIT {

  @Test
  void aTopicWithASmallerLimitThanTheProducerCapsTheChangeSize() throws Exception {
    Map<String, Object> client =
        Map.of("bootstrap.servers", TestServers.kafka().bootstrapServers());
    String topic = "size-limit-it-" + UUID.randomUUID();
    try (Admin admin = Admin.create(client)) {
      admin
          .createTopics(
              List.of(
                  new NewTopic(topic, 1, (short) 1)
                      .configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "200000"))))
          .all()
          .get(30, TimeUnit.SECONDS);
    }

    int limit = ChangeSizeLimit.of(Map.of(), client, topic);

    assertThat(limit).isEqualTo(200_000 - ChangeSizeLimit.FRAMING);
  }

  @Test
  void withoutATopicLimitTheProducersLimitHolds() {
    Map<String, Object> client =
        Map.of("bootstrap.servers", TestServers.kafka().bootstrapServers());

    int limit = ChangeSizeLimit.of(Map.of("max.request.size", 500_000), client, "no-such-topic");

    assertThat(limit).isEqualTo(500_000 - ChangeSizeLimit.FRAMING);
  }
}
