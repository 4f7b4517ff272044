package io.cachepipe.cdc;

import io.cachepipe.core.change.Watermark;
import io.cachepipe.core.config.Connections;
import io.cachepipe.core.config.Topics;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/** The Debezium engine's properties: what cachepipe derives, then {@code debezium.source.*}. */
final class DebeziumProperties {

  /** Topic prefix of the records the connector makes; they never reach Kafka under that name. */
  static final String TOPIC_PREFIX = "cachepipe";

  /** Prefix of heartbeat records' topics; such records only advance offsets. */
  static final String HEARTBEAT_TOPIC_PREFIX = "__debezium-heartbeat";

  /**
   * What each heartbeat runs: a non-transactional logical decoding message with the prefix that the
   * connector streams (and ChangePublisher skips), so the slot advances while the watched tables
   * are idle.
   */
  static final String HEARTBEAT_QUERY =
      "SELECT pg_logical_emit_message(false, '" + Watermark.MESSAGE_PREFIX + "', 'heartbeat')";

  /** Parameters of the JDBC URL that the connector takes as {@code database.<parameter>}. */
  static final List<String> TLS_PARAMETERS =
      List.of("sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword", "sslfactory");

  /** Engines built in this process, for their JMX names (see {@link #build}). */
  private static final AtomicInteger ENGINES = new AtomicInteger();

  private DebeziumProperties() {}

  /**
   * @param kafkaClient what every Kafka client gets ({@code KafkaClients.shared}): the engine's
   *     offset store uses the top-level properties for its clients
   */
  static Properties build(
      CdcConfig config,
      Connections connections,
      Topics topics,
      List<String> tables,
      Map<String, Object> kafkaClient) {
    PostgresLocation location = PostgresLocation.parse(connections.postgresUrl());
    Properties p = new Properties();
    p.setProperty("name", config.name());
    p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");

    // Offsets live in Kafka beside the changes, so a restart on another machine resumes.
    p.setProperty("offset.storage", KafkaOffsetStore.class.getName());
    p.setProperty("offset.storage.topic", config.offsetsTopic());
    p.setProperty("offset.storage.partitions", "1");
    p.setProperty("offset.storage.replication.factor", Short.toString(topics.replicationFactor()));
    p.setProperty(
        "offset.flush.interval.ms", Long.toString(config.offsetFlushInterval().toMillis()));
    kafkaClient.forEach((key, value) -> p.setProperty(key, String.valueOf(value)));

    p.setProperty("database.hostname", location.host());
    p.setProperty("database.port", Integer.toString(location.port()));
    p.setProperty("database.dbname", location.database());
    p.setProperty("database.user", connections.postgresUser());
    // The JDBC connections read a password= of the URL; the replication connection needs it given.
    String password = connections.postgresPassword();
    if (password.isEmpty() && location.parameters().containsKey("password")) {
      password = decode(location.parameters().get("password"));
    }
    p.setProperty("database.password", password);
    for (String parameter : TLS_PARAMETERS) {
      String value = location.parameters().get(parameter);
      if (value != null) {
        p.setProperty("database." + parameter, decode(value));
      }
    }

    p.setProperty("topic.prefix", TOPIC_PREFIX);
    // Debezium names its JMX beans after topic.prefix, which every capture shares. An engine
    // stopped by force (Kafka unreachable) leaves its beans registered, and the next engine in the
    // same process then waited a minute for the names (12 tries, 5 s apart) before it streamed.
    // The slot and a count of this process's engines make each engine's names its own.
    p.setProperty(
        "custom.metric.tags", "slot=" + config.slotName() + ",engine=" + ENGINES.incrementAndGet());
    p.setProperty("plugin.name", "pgoutput");
    p.setProperty("slot.name", config.slotName());
    p.setProperty("publication.name", config.publicationName());
    p.setProperty("publication.autocreate.mode", "disabled"); // DatabasePreflight manages it
    p.setProperty(
        "table.include.list",
        tables.stream().map(t -> t.replace(".", "\\.")).collect(Collectors.joining(",")));
    p.setProperty("snapshot.mode", "no_data");
    p.setProperty("poll.interval.ms", Long.toString(config.pollInterval().toMillis()));
    p.setProperty("heartbeat.interval.ms", Long.toString(config.heartbeatInterval().toMillis()));
    if (!config.heartbeatInterval().isZero()) {
      // A heartbeat alone confirms no new position while the watched tables are idle (PostgreSQL
      // sends nothing for other tables' transactions, and this LSN flush mode ignores keepalives):
      // the slot would pin all the WAL that other tables write. A tiny logical decoding message
      // reaches the connector through the slot; once processed, its position is confirmed.
      p.setProperty("heartbeat.action.query", HEARTBEAT_QUERY);
    }
    p.setProperty("tombstones.on.delete", "false");
    // Read-your-writes tokens emit a logical decoding message with this prefix after their commit;
    // the connector only needs the message's position (see ChangePublisher).
    p.setProperty("message.prefix.include.list", Watermark.MESSAGE_PREFIX);
    // Values that render as exact, tag-friendly JSON: decimals and bytes as text.
    p.setProperty("decimal.handling.mode", "string");
    p.setProperty("binary.handling.mode", "base64");
    p.setProperty("interval.handling.mode", "string");

    config.passThrough().forEach(p::setProperty);
    return p;
  }

  /**
   * Lets the engine give up offsets stored before the slot was created anew ({@link SlotRecovery}
   * flushed the cache for the changes in between): Debezium refuses an offset older than its slot
   * ("no longer available on the server") unless the snapshot mode snapshots on that data error;
   * here that snapshot takes no data and streams from the new slot. Set only then, so a slot that
   * was moved past the offsets any other way still stops the engine rather than skip changes.
   */
  static void resumeAtRecreatedSlot(Properties p) {
    if (!"no_data".equals(p.getProperty("snapshot.mode"))) {
      return; // a snapshot mode of the operator's own
    }
    p.setProperty("snapshot.mode", "configuration_based");
    p.setProperty("snapshot.mode.configuration.based.snapshot.data", "false");
    p.setProperty("snapshot.mode.configuration.based.snapshot.schema", "false");
    p.setProperty("snapshot.mode.configuration.based.start.stream", "true");
    p.setProperty("snapshot.mode.configuration.based.snapshot.on.schema.error", "false");
    p.setProperty("snapshot.mode.configuration.based.snapshot.on.data.error", "true");
  }

  private static String decode(String urlParameter) {
    return URLDecoder.decode(urlParameter, StandardCharsets.UTF_8);
  }
}
