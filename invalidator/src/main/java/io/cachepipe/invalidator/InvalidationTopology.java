package io.cachepipe.invalidator;

import static io.cachepipe.invalidator.TopologyNames.CHANGES_DEAD_LETTER;
import static io.cachepipe.invalidator.TopologyNames.CHANGES_SOURCE;
import static io.cachepipe.invalidator.TopologyNames.COALESCER;
import static io.cachepipe.invalidator.TopologyNames.INVALIDATIONS_SINK;
import static io.cachepipe.invalidator.TopologyNames.TAGGER;
import static io.cachepipe.invalidator.TopologyNames.UNREADABLE;
import static io.cachepipe.invalidator.TopologyNames.WATERMARKS_SINK;

import io.cachepipe.core.change.InvalidationsRecord;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.tag.TagRules;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.state.Stores;

/**
 * The invalidator's topology, built by the one method that the stage and its tests both call.
 *
 * <pre>
 * changes ──tag rules (before and after image)──▶ coalesce (state store) ──▶ invalidations (key: tag)
 *    │                                                 └─ watermarks ──▶ every invalidations partition
 *    └─ unreadable ──▶ dead letter (original bytes, reason header)
 * </pre>
 *
 * Each changes record is decoded once, at the source, into a {@link ChangesRecord}; what leaves for
 * the invalidations topic is an {@link InvalidationsRecord}. The {@link EvictionStep} applies the
 * invalidations topic to Redis.
 */
public final class InvalidationTopology {

  private InvalidationTopology() {}

  /**
   * The Streams properties that send every record the topology cannot process, read or write to
   * {@code topics}' dead-letter topic ({@link DeadLetteringHandler}); the stage and its tests both
   * use them.
   */
  public static Map<String, Object> errorHandling(Topics topics, InvalidatorMetrics metrics) {
    return DeadLetteringHandler.properties(topics.deadLetter(), metrics);
  }

  /** Builds the topology without coalescing. */
  public static Topology build(TagRules rules, Topics topics, InvalidatorMetrics metrics) {
    return build(rules, topics, Duration.ZERO, metrics);
  }

  /**
   * Builds the topology from {@code topics}' changes to its invalidations.
   *
   * @param coalesceDelay the longest a hot tag's invalidation may be held to coalesce it with the
   *     next ones; zero turns coalescing off
   */
  public static Topology build(
      TagRules rules, Topics topics, Duration coalesceDelay, InvalidatorMetrics metrics) {
    Serializer<InvalidationsRecord> messages =
        (topic, message) -> message == null ? null : message.encode();
    StreamPartitioner<String, InvalidationsRecord> everyPartition =
        (topic, key, message, partitions) ->
            Optional.of(IntStream.range(0, partitions).boxed().collect(Collectors.toSet()));

    Topology topology = new Topology();
    topology.addSource(
        CHANGES_SOURCE, new ByteArrayDeserializer(), new ChangesRecord.Reader(), topics.changes());
    topology.addProcessor(TAGGER, () -> new ChangeTagger(rules, metrics), CHANGES_SOURCE);
    topology.addProcessor(UNREADABLE, () -> new UnreadableChanges(metrics), CHANGES_SOURCE);
    topology.addProcessor(COALESCER, () -> new Coalescer(coalesceDelay, metrics), TAGGER);
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(Coalescer.STORE), Serdes.String(), Serdes.ByteArray())
            .withLoggingEnabled(Map.of())
            .withCachingDisabled(),
        COALESCER);
    topology.addSink(
        INVALIDATIONS_SINK, topics.invalidations(), new StringSerializer(), messages, COALESCER);
    topology.addSink(
        WATERMARKS_SINK,
        topics.invalidations(),
        new StringSerializer(),
        messages,
        everyPartition,
        COALESCER);
    topology.addSink(
        CHANGES_DEAD_LETTER,
        topics.deadLetter(),
        new ByteArraySerializer(),
        new ByteArraySerializer(),
        UNREADABLE);
    return topology;
  }
}
