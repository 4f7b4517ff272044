package io.cachepipe.cdc;

import io.debezium.embedded.KafkaConnectUtil;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.KafkaOffsetBackingStore;
import org.apache.kafka.connect.util.SharedTopicAdmin;
import org.apache.kafka.connect.util.TopicAdmin;

/**
 * The engine's offsets in a Kafka topic, as Kafka Connect's {@link KafkaOffsetBackingStore} keeps
 * them, but closing its admin client when it stops. The store Debezium builds for {@code
 * offset.storage=...KafkaOffsetBackingStore} is handed an admin client it does not own, and nothing
 * closes it: every engine started in a process left one behind, reconnecting to its broker for
 * ever. Debezium makes any other {@code offset.storage} class with its no-argument constructor.
 */
public final class KafkaOffsetStore extends KafkaOffsetBackingStore {

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

  @Override
  public void stop() {
    try {
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
        shared.close();
        shared = null;
      }
    }
  }
}
