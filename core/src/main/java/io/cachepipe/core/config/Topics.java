package io.cachepipe.core.config;

import java.util.List;

/**
 * The Kafka topics between the stages.
 *
 * @param changes row changes, written by the cdc-connector (key: table and primary key)
 * @param invalidations tags to invalidate, public (key: tag)
 * @param evictions what each eviction step did, read by the warmer (key: tag)
 * @param deadLetter messages a stage could not read, with the reason in a header
 * @param partitions partitions of the topics cachepipe creates
 * @param replicationFactor replication factor of the topics cachepipe creates
 */
public record Topics(
    String changes,
    String invalidations,
    String evictions,
    String deadLetter,
    int partitions,
    short replicationFactor) {

  public static final ConfigField<String> CHANGES =
      ConfigField.string("cachepipe.topic.changes", "cachepipe.changes", "Topic of row changes.");
  public static final ConfigField<String> INVALIDATIONS =
      ConfigField.string(
          "cachepipe.topic.invalidations",
          "cachepipe.invalidations",
          "Public topic of invalidated tags (versioned JSON contract).");
  public static final ConfigField<String> EVICTIONS =
      ConfigField.string(
          "cachepipe.topic.evictions",
          "cachepipe.evictions",
          "Topic of completed eviction steps, read by the warmer.");
  public static final ConfigField<String> DEAD_LETTER =
      ConfigField.string(
          "cachepipe.topic.dead.letter",
          "cachepipe.dead-letter",
          "Topic of unreadable messages; header 'cachepipe.reason' says why.");
  public static final ConfigField<Integer> PARTITIONS =
      ConfigField.integer(
          "cachepipe.topic.partitions",
          6,
          1,
          10_000,
          "Partitions of the topics cachepipe creates: the unit of invalidator and warmer scaling.");
  public static final ConfigField<Integer> REPLICATION_FACTOR =
      ConfigField.integer(
          "cachepipe.topic.replication.factor",
          1,
          1,
          Short.MAX_VALUE,
          "Replication factor of the topics cachepipe creates (3 in production).");

  public static final List<ConfigField<?>> FIELDS =
      List.of(CHANGES, INVALIDATIONS, EVICTIONS, DEAD_LETTER, PARTITIONS, REPLICATION_FACTOR);

  public static Topics from(Settings settings) {
    return new Topics(
        settings.get(CHANGES),
        settings.get(INVALIDATIONS),
        settings.get(EVICTIONS),
        settings.get(DEAD_LETTER),
        settings.get(PARTITIONS),
        settings.get(REPLICATION_FACTOR).shortValue());
  }

  /** Every topic name, for creating them. */
  public List<String> all() {
    return List.of(changes, invalidations, evictions, deadLetter);
  }
}
