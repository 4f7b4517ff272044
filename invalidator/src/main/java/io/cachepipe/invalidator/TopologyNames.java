package io.cachepipe.invalidator;

import org.apache.kafka.streams.processor.api.ProcessorContext;

/** Names of the topology's nodes. */
final class TopologyNames {

  static final String CHANGES_SOURCE = "changes";
  static final String TAGGER = "tag-rules";
  static final String INVALIDATIONS_SINK = "invalidations-out";
  static final String CHANGES_DEAD_LETTER = "changes-dead-letter";
  static final String INVALIDATIONS_SOURCE = "invalidations";
  static final String EVICTION = "eviction";
  static final String EVICTIONS_SINK = "evictions-out";
  static final String INVALIDATIONS_DEAD_LETTER = "invalidations-dead-letter";

  private TopologyNames() {}

  /** "topic/partition@offset" of the record being processed, for dead-letter headers and logs. */
  static String sourceOf(ProcessorContext<?, ?> context) {
    return context
        .recordMetadata()
        .map(m -> m.topic() + "/" + m.partition() + "@" + m.offset())
        .orElse("unknown");
  }
}
