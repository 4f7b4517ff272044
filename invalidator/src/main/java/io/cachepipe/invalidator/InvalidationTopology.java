package io.cachepipe.invalidator;

import static io.cachepipe.invalidator.TopologyNames.CHANGES_DEAD_LETTER;
import static io.cachepipe.invalidator.TopologyNames.CHANGES_SOURCE;
import static io.cachepipe.invalidator.TopologyNames.INVALIDATIONS_SINK;
import static io.cachepipe.invalidator.TopologyNames.TAGGER;

import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.tag.TagRules;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;

/**
 * The invalidator's topology, built by the one method that the stage and its tests both call.
 *
 * <pre>
 * changes ──tag rules (before and after image)──▶ invalidations (key: tag)
 *         └─ unreadable ──▶ dead letter (original bytes, reason header)
 * </pre>
 *
 * The {@link EvictionStep} applies the invalidations topic to Redis.
 */
public final class InvalidationTopology {

  private InvalidationTopology() {}

  /** Builds the topology from {@code topics}' changes to its invalidations. */
  public static Topology build(TagRules rules, Topics topics, InvalidatorMetrics metrics) {
    Serializer<Object> invalidations = contractSerializer(Invalidation.CONTRACT);
    Serializer<Object> tagKeys = keySerializer();
    Serializer<Object> bytes = bytesSerializer();

    Topology topology = new Topology();
    topology.addSource(
        CHANGES_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), topics.changes());
    topology.addProcessor(TAGGER, () -> new ChangeTagger(rules, metrics), CHANGES_SOURCE);
    topology.addSink(INVALIDATIONS_SINK, topics.invalidations(), tagKeys, invalidations, TAGGER);
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
