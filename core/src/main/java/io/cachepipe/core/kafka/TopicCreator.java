package io.cachepipe.core.kafka;

import io.cachepipe.core.config.Topics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates cachepipe's topics if they do not exist yet; existing topics are left as they are. */
public final class TopicCreator {

  private static final Logger LOG = LoggerFactory.getLogger(TopicCreator.class);

  private TopicCreator() {}

  /** Ensures every topic of {@code topics} exists, at the Kafka of {@code bootstrapServers}. */
  public static void ensure(String bootstrapServers, Topics topics) {
    ensure(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers), topics);
  }

  /**
   * Ensures every topic of {@code topics} exists.
   *
   * @param clientConfig the admin client's properties, such as {@link KafkaClients#shared}
   */
  public static void ensure(Map<String, Object> clientConfig, Topics topics) {
    Map<String, Object> config = new HashMap<>(clientConfig);
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
    Object bootstrapServers = config.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG);
    try (Admin admin = Admin.create(config)) {
      Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      List<NewTopic> missing = new ArrayList<>();
      for (String name : topics.all()) {
        if (!existing.contains(name)) {
          missing.add(new NewTopic(name, topics.partitions(), topics.replicationFactor()));
        }
      }
      if (missing.isEmpty()) {
        return;
      }
      for (var entry : admin.createTopics(missing).values().entrySet()) {
        try {
          entry.getValue().get(30, TimeUnit.SECONDS);
          LOG.info("created topic {} ({} partitions)", entry.getKey(), topics.partitions());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        }
      }
    } catch (ExecutionException | TimeoutException e) {
      // Kafka's reason (e.g. "Authentication failed: Invalid username or password"), not the
      // exception class names that ExecutionException's message wraps it in.
      Throwable reason = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      throw new IllegalStateException(
          "cannot create topics at Kafka at "
              + bootstrapServers
              + ": "
              + (reason.getMessage() != null
                  ? reason.getMessage()
                  : reason.getClass().getSimpleName()),
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    }
  }
}
