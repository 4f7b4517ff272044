package io.cachepipe.invalidator;

import static io.cachepipe.invalidator.TopologyNames.CHANGES_DEAD_LETTER;
import static io.cachepipe.invalidator.TopologyNames.CHANGES_SOURCE;
import static io.cachepipe.invalidator.TopologyNames.COALESCER;
import static io.cachepipe.invalidator.TopologyNames.INVALIDATIONS_SINK;
import static io.cachepipe.invalidator.TopologyNames.TAGGER;
import static io.cachepipe.invalidator.TopologyNames.WATERMARKS_SINK;

import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.change.Watermark;
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
 * The {@link EvictionStep} applies the invalidations topic to Redis.
 */
public final class InvalidationTopology {

  private InvalidationTopology() {}

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
    Serializer<Object> invalidations = contractSerializer(Invalidation.CONTRACT);
    Serializer<Object> watermarks = contractSerializer(Watermark.CONTRACT);
    Serializer<Object> tagKeys = keySerializer();
    Serializer<Object> bytes = bytesSerializer();

    Topology topology = new Topology();
    topology.addSource(
        CHANGES_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), topics.changes());
    topology.addProcessor(TAGGER, () -> new ChangeTagger(rules, metrics), CHANGES_SOURCE);
    topology.addProcessor(COALESCER, () -> new Coalescer(coalesceDelay, metrics), TAGGER);
    topology.addStateStore(
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(Coalescer.STORE), Serdes.String(), Serdes.ByteArray())
            .withLoggingEnabled(Map.of())
            .withCachingDisabled(),
        COALESCER);
    topology.addSink(INVALIDATIONS_SINK, topics.invalidations(), tagKeys, invalidations, COALESCER);
    topology.addSink(
        WATERMARKS_SINK,
        topics.invalidations(),
        tagKeys,
        watermarks,
        (topic, key, value, partitions) ->
            Optional.of(IntStream.range(0, partitions).boxed().collect(Collectors.toSet())),
        COALESCER);
    topology.addSink(CHANGES_DEAD_LETTER, topics.deadLetter(), bytes, bytes, TAGGER);
    return topology;
  }

  @SuppressWarnings("unchecked")
  private static <T> Serializer<Object> contractSerializer(
      io.cachepipe.core.json.JsonContract<T> contract) {
    return (topic, value) -> value == null ? null : contract.encode((T) value);
  }

  private static Serializer<Object> keySerializer() {
    StringSerializer strings = new StringSerializer();
    return (topic, key) -> strings.serialize(topic, (String) key);
  }

  private static Serializer<Object> bytesSerializer() {
    ByteArraySerializer raw = new ByteArraySerializer();
    return (topic, value) -> raw.serialize(topic, (byte[]) value);
  }
}
