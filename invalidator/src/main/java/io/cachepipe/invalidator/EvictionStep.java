package io.cachepipe.invalidator;

import io.cachepipe.core.change.EvictionReport;
import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.json.MalformedMessageException;
import io.cachepipe.core.kafka.DeadLetters;
import java.util.List;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies each invalidation to Redis, then reports the eviction. Kafka Streams commits an
 * invalidation's offset only after this returned, so an eviction is never skipped: a crash before
 * the commit replays it, which is harmless.
 */
final class EvictionStep implements Processor<String, byte[], Object, Object> {

  private static final Logger LOG = LoggerFactory.getLogger(EvictionStep.class);

  private final TagEvictor evictor;
  private final InvalidatorMetrics metrics;
  private ProcessorContext<Object, Object> context;

  EvictionStep(TagEvictor evictor, InvalidatorMetrics metrics) {
    this.evictor = evictor;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
  }

  @Override
  public void process(Record<String, byte[]> record) {
    Invalidation invalidation;
    try {
      invalidation = Invalidation.CONTRACT.decode(record.value());
    } catch (MalformedMessageException e) {
      String source = TopologyNames.sourceOf(context);
      LOG.warn("dead-lettering invalidation at {}: {}", source, e.getMessage());
      metrics.deadLettered.increment();
      context.forward(
          record.withHeaders(DeadLetters.headers("invalidator", e.getMessage(), source)),
          TopologyNames.INVALIDATIONS_DEAD_LETTER);
      return;
    }
    List<String> live = evictor.evict(invalidation.tag());
    metrics.recordEviction(invalidation, live.size());
    if (LOG.isDebugEnabled()) {
      LOG.debug(
          "evicted tag {} ({} live keys) for {} {} at lsn {}",
          invalidation.tag(),
          live.size(),
          invalidation.op().wireName(),
          invalidation.table(),
          invalidation.lsn());
    }
    context.forward(
        new Record<Object, Object>(
            invalidation.tag(), EvictionReport.of(invalidation, live), record.timestamp()),
        TopologyNames.EVICTIONS_SINK);
  }
}
