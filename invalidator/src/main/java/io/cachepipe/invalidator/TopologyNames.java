package io.cachepipe.invalidator;

import org.apache.kafka.streams.processor.api.ProcessorContext;

/** Names of the topology's nodes. */
final class TopologyNames {

  static final String CHANGES_SOURCE = "changes";
  static final String TAGGER = "tag-rules";
  static final String UNREADABLE = "unreadable-changes";
  static final String COALESCER = "coalesce";
  static final String INVALIDATIONS_SINK = "invalidations-out";
  static final String WATERMARKS_SINK = "watermarks-out";
  static final String CHANGES_DEAD_LETTER = "changes-dead-letter";

  private TopologyNames() {}

  /** "topic/partition@offset" of the record being processed, for dead-letter headers and logs. */
  static String sourceOf(ProcessorContext<?, ?> context) {
    return context
        .recordMetadata()
        .map(m -> m.topic() + "/" + m.partition() + "@" + m.offset())
        .orElse("unknown");
  }
}
