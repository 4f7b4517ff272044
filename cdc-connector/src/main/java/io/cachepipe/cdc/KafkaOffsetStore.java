package io.cachepipe.cdc;

import io.cachepipe.core.concurrent.StopDeadline;
import io.debezium.embedded.KafkaConnectUtil;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.KafkaOffsetBackingStore;
import org.apache.kafka.connect.util.SharedTopicAdmin;
import org.apache.kafka.connect.util.TopicAdmin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's offsets in a Kafka topic, as Kafka Connect's {@link KafkaOffsetBackingStore} keeps
 * them, but closing its admin client when it stops. The store Debezium builds for {@code
 * offset.storage=...KafkaOffsetBackingStore} is handed an admin client it does not own, and nothing
 * closes it: every engine started in a process left one behind, reconnecting to its broker for
 * ever. Debezium makes any other {@code offset.storage} class with its no-argument constructor.
 */
public final class KafkaOffsetStore extends KafkaOffsetBackingStore {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaOffsetStore.class);

  /**
   * How long {@link #stop} waits for Kafka before it closes the store by force. With Kafka up the
   * store has nothing left to send by then (the engine's last commit waited for it) and stops in
   * milliseconds.
   */
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(1);

  private final Admin admin;

  public KafkaOffsetStore() {
    this(new Admin());
  }

  private KafkaOffsetStore(Admin admin) {
    super(admin, () -> "cachepipe-cdc", KafkaConnectUtil.converterForOffsetStore());
    this.admin = admin;
  }

  @Override
  public void configure(WorkerConfig config) {
    Map<String, Object> props = new HashMap<>(config.originals());
    props.put(CommonClientConfigs.CLIENT_ID_CONFIG, "cachepipe-cdc-offsets-admin");
    admin.open(props);
    super.configure(config);
  }

  /**
   * Stops the store, but waits at most {@link #STOP_TIMEOUT}: Kafka Connect closes the store's
   * producer with no timeout, which with the broker gone waits for ever for offsets it cannot send
   * (a SIGTERM while Kafka is down would then wait for SIGKILL). Past the timeout the stopping
   * thread is interrupted, which makes the producer close by force; offsets not sent are those of
   * changes that will be captured again (at least once).
   */
  @Override
  public void stop() {
    try (StopDeadline deadline =
        StopDeadline.start(
            STOP_TIMEOUT,
            () ->
                LOG.warn(
                    "the offset store did not stop within {} s (Kafka unreachable?): closing it"
                        + " by force; the last offsets may not be stored",
                    STOP_TIMEOUT.toSeconds()))) {
      super.stop();
    } finally {
      admin.close();
    }
  }

  /** The admin client, made once the store's configuration is known. */
  private static final class Admin implements Supplier<TopicAdmin> {
    private SharedTopicAdmin shared;

    synchronized void open(Map<String, Object> props) {
      if (shared == null) {
        shared = new SharedTopicAdmin(props);
      }
    }

    @Override
    public synchronized TopicAdmin get() {
      if (shared == null) {
        throw new IllegalStateException("the offset store is not configured");
      }
      return shared.get();
    }

    synchronized void close() {
      if (shared != null) {
        shared.close(STOP_TIMEOUT); // its requests pending on a gone Kafka would wait 60 s
        shared = null;
      }
    }
  }
}
