package io.cachepipe.cdc;

import io.cachepipe.core.config.ConfigField;
import io.cachepipe.core.config.Settings;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The cdc-connector's own settings. Anything under {@code debezium.source.} goes to the Debezium
 * connector untouched and wins over what cachepipe derives.
 *
 * @param name the engine's name (also the key of its offsets)
 * @param slotName the logical replication slot
 * @param publicationName the publication of the watched tables
 * @param tables watched tables, schema-qualified; empty means the tables that tag rules name
 * @param requireReplicaIdentityFull refuse to start on a watched table without REPLICA IDENTITY
 *     FULL
 * @param pollInterval Debezium's poll interval
 * @param heartbeatInterval how often the slot is advanced when watched tables are idle
 * @param offsetsTopic topic of the engine's offsets
 * @param offsetFlushInterval how often offsets are committed (a restart replays at most this)
 * @param watermarkInterval how often progress markers follow acknowledged changes
 * @param standbyPoll how often a standby connector tries to take over the slot
 * @param passThrough {@code debezium.source.*} properties
 */
public record CdcConfig(
    String name,
    String slotName,
    String publicationName,
    List<String> tables,
    boolean requireReplicaIdentityFull,
    Duration pollInterval,
    Duration heartbeatInterval,
    String offsetsTopic,
    Duration offsetFlushInterval,
    Duration watermarkInterval,
    Duration standbyPoll,
    Map<String, String> passThrough) {

  public static final ConfigField<String> NAME =
      ConfigField.string(
          "cachepipe.cdc.name", "cachepipe", "Name of the capture engine and its offsets.");
  public static final ConfigField<String> SLOT =
      ConfigField.string(
          "cachepipe.cdc.slot.name", "cachepipe", "Logical replication slot (created if missing).");
  public static final ConfigField<String> PUBLICATION =
      ConfigField.string(
          "cachepipe.cdc.publication.name",
          "cachepipe",
          "Publication of the watched tables (created, or extended, if needed).");
  public static final ConfigField<List<String>> TABLES =
      ConfigField.list(
          "cachepipe.cdc.tables", "", "Watched tables; empty = the tables the tag rules name.");
  public static final ConfigField<Boolean> REQUIRE_FULL_IDENTITY =
      ConfigField.bool(
          "cachepipe.cdc.require.replica.identity.full",
          true,
          "Refuse to start when a watched table lacks REPLICA IDENTITY FULL (without it, updates"
              + " carry no before-image and deletes zero-filled columns, so old tags are missed).");
  public static final ConfigField<Duration> POLL_INTERVAL =
      ConfigField.millis(
          "cachepipe.cdc.poll.interval.ms",
          5,
          1,
          "How long Debezium's WAL reader sleeps when it finds nothing, and its queue waits to"
              + " fill a batch. A change waits about this long at low rates. Each wait of the"
              + " queue ends in a busy loop of up to a millisecond (Debezium's timer counts whole"
              + " milliseconds), so an idle pipeline spends about 1/(this + 1) of a core there;"
              + " docs/benchmarks.md has runs at several values. Debezium's own default is 500.");
  public static final ConfigField<Duration> HEARTBEAT_INTERVAL =
      ConfigField.millis(
          "cachepipe.cdc.heartbeat.interval.ms",
          10_000,
          0,
          "Heartbeat period that lets the slot advance while watched tables are idle: each"
              + " heartbeat writes a tiny logical decoding message (pg_logical_emit_message) that"
              + " the connector streams and confirms. The slot then retains about this much WAL"
              + " plus PostgreSQL's 15 s snapshot interval. 0 = off: the slot pins all the WAL"
              + " other tables write while the watched ones are idle.");
  public static final ConfigField<String> OFFSETS_TOPIC =
      ConfigField.string(
          "cachepipe.cdc.offsets.topic",
          "cachepipe.offsets",
          "Kafka topic of the engine's offsets.");
  public static final ConfigField<Duration> OFFSET_FLUSH_INTERVAL =
      ConfigField.millis(
          "cachepipe.cdc.offset.flush.interval.ms",
          1_000,
          0,
          "How often processed offsets are committed and the slot confirmed; a restart replays at"
              + " most this much (harmless: evictions are idempotent).");

  public static final ConfigField<Duration> WATERMARK_INTERVAL =
      ConfigField.millis(
          "cachepipe.cdc.watermark.interval.ms",
          100,
          1,
          "How often a progress marker follows the acknowledged changes into every partition of"
              + " the changes topic. A read-your-writes token sends one at once, so this only"
              + " bounds how stale the watermark gauge is; each marker costs a record per"
              + " partition in every stage.");

  public static final ConfigField<Duration> STANDBY_POLL =
      ConfigField.millis(
          "cachepipe.cdc.standby.poll.ms",
          1_000,
          10,
          "One connector captures per slot (it holds an advisory lock named after it); another"
              + " started for the same slot stands by and tries to take over this often.");

  public static final List<ConfigField<?>> FIELDS =
      List.of(
          NAME,
          SLOT,
          PUBLICATION,
          TABLES,
          REQUIRE_FULL_IDENTITY,
          POLL_INTERVAL,
          HEARTBEAT_INTERVAL,
          OFFSETS_TOPIC,
          OFFSET_FLUSH_INTERVAL,
          WATERMARK_INTERVAL,
          STANDBY_POLL);

  /** Prefix of the keys passed to the Debezium connector untouched. */
  public static final String PASS_THROUGH_PREFIX = "debezium.source.";

  public static CdcConfig from(Settings settings) {
    return new CdcConfig(
        settings.get(NAME),
        settings.get(SLOT),
        settings.get(PUBLICATION),
        settings.get(TABLES),
        settings.get(REQUIRE_FULL_IDENTITY),
        settings.get(POLL_INTERVAL),
        settings.get(HEARTBEAT_INTERVAL),
        settings.get(OFFSETS_TOPIC),
        settings.get(OFFSET_FLUSH_INTERVAL),
        settings.get(WATERMARK_INTERVAL),
        settings.get(STANDBY_POLL),
        settings.subtree(PASS_THROUGH_PREFIX));
  }
}
