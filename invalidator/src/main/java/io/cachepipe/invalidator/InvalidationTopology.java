package io.cachepipe.invalidator;

import static io.cachepipe.invalidator.TopologyNames.CHANGES_DEAD_LETTER;
import static io.cachepipe.invalidator.TopologyNames.CHANGES_SOURCE;
import static io.cachepipe.invalidator.TopologyNames.EVICTION;
import static io.cachepipe.invalidator.TopologyNames.EVICTIONS_SINK;
import static io.cachepipe.invalidator.TopologyNames.INVALIDATIONS_DEAD_LETTER;
import static io.cachepipe.invalidator.TopologyNames.INVALIDATIONS_SINK;
import static io.cachepipe.invalidator.TopologyNames.INVALIDATIONS_SOURCE;
import static io.cachepipe.invalidator.TopologyNames.TAGGER;

import io.cachepipe.core.change.EvictionReport;
import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.config.Topics;
import io.cachepipe.core.tag.TagRules;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;

/**
 * The invalidator's topology, built by the one method that the stage and its tests both call.
 *
 * <pre>
 * changes ──tag rules──▶ invalidations (key: tag)            unreadable ──▶ dead letter
 * invalidations ──eviction step (Redis)──▶ evictions          unreadable ──▶ dead letter
 * </pre>
 */
public final class InvalidationTopology {

  private InvalidationTopology() {}

  /** Builds the topology over {@code topics}, evicting through {@code evictor}. */
  public static Topology build(
      TagRules rules, Topics topics, TagEvictor evictor, InvalidatorMetrics metrics) {
    Serializer<Object> invalidations = contractSerializer(Invalidation.CONTRACT);
    Serializer<Object> reports = contractSerializer(EvictionReport.CONTRACT);
    Serializer<Object> tagKeys = keySerializer();
    Serializer<Object> bytes = bytesSerializer();

    Topology topology = new Topology();
    topology.addSource(
        CHANGES_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), topics.changes());
    topology.addProcessor(TAGGER, () -> new ChangeTagger(rules, metrics), CHANGES_SOURCE);
    topology.addSink(INVALIDATIONS_SINK, topics.invalidations(), tagKeys, invalidations, TAGGER);
    topology.addSink(CHANGES_DEAD_LETTER, topics.deadLetter(), bytes, bytes, TAGGER);

    topology.addSource(
        INVALIDATIONS_SOURCE,
        new StringDeserializer(),
        new ByteArrayDeserializer(),
        topics.invalidations());
    topology.addProcessor(EVICTION, () -> new EvictionStep(evictor, metrics), INVALIDATIONS_SOURCE);
    topology.addSink(EVICTIONS_SINK, topics.evictions(), tagKeys, reports, EVICTION);
    topology.addSink(INVALIDATIONS_DEAD_LETTER, topics.deadLetter(), tagKeys, bytes, EVICTION);
    return topology;
  }

  @SuppressWarnings("unchecked")
  private static <T> Serializer<Object> contractSerializer(
      io.cachepipe.core.json.JsonContract<T> contract) {
    return (topic, value) -> value == null ? null : contract.encode((T) value);
  }

  private static Serializer<Object> keySerializer() {
    StringSerializer strings = new StringSerializer();
    ByteArraySerializer raw = new ByteArraySerializer();
    return (topic, key) ->
        key instanceof byte[] b ? raw.serialize(topic, b) : strings.serialize(topic, (String) key);
  }

  private static Serializer<Object> bytesSerializer() {
    ByteArraySerializer raw = new ByteArraySerializer();
    return (topic, value) -> raw.serialize(topic, (byte[]) value);
  }
}
