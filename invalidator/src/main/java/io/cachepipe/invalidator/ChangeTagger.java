package io.cachepipe.invalidator;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.change.Watermark;
import io.cachepipe.core.json.MalformedMessageException;
import io.cachepipe.core.kafka.DeadLetters;
import io.cachepipe.core.tag.TagRules;
import io.cachepipe.core.tag.TagRules.TagResult;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps each change to its tags with the tag rules; an unreadable change is dead-lettered. A
 * watermark passes on, restamped with the partition it came through.
 */
final class ChangeTagger implements Processor<byte[], byte[], Object, Object> {

  private static final Logger LOG = LoggerFactory.getLogger(ChangeTagger.class);

  private final TagRules rules;
  private final InvalidatorMetrics metrics;
  private ProcessorContext<Object, Object> context;

  ChangeTagger(TagRules rules, InvalidatorMetrics metrics) {
    this.rules = rules;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    if (Watermark.isWatermark(record.headers())) {
      passOn(record);
      return;
    }
    ChangeEvent change;
    try {
      change = ChangeEvent.CONTRACT.decode(record.value());
    } catch (MalformedMessageException e) {
      deadLetter(record, e);
      return;
    }
    TagResult result = rules.tagsFor(change);
    if (!result.watched()) {
      metrics.unwatchedChanges.increment();
      return;
    }
    if (!result.unrenderedRules().isEmpty()) {
      LOG.debug(
          "{} {} at lsn {}: rules {} could not render from one image",
          change.op().wireName(),
          change.table(),
          change.lsn(),
          result.unrenderedRules());
    }
    metrics.changes.increment();
    for (String tag : result.tags()) {
      context.forward(
          new Record<Object, Object>(tag, Invalidation.of(tag, change), record.timestamp()),
          TopologyNames.COALESCER);
    }
  }

  private void passOn(Record<byte[], byte[]> record) {
    Watermark watermark;
    try {
      watermark = Watermark.CONTRACT.decode(record.value());
    } catch (MalformedMessageException e) {
      deadLetter(record, e);
      return;
    }
    int partition = context.recordMetadata().map(m -> m.partition()).orElse(watermark.source());
    context.forward(
        new Record<Object, Object>(
            Watermark.KEY,
            Watermark.of(watermark.lsn(), partition, Math.max(watermark.sources(), partition + 1)),
            record.timestamp(),
            Watermark.headers()),
        TopologyNames.COALESCER);
  }

  private void deadLetter(Record<byte[], byte[]> record, MalformedMessageException e) {
    String source = TopologyNames.sourceOf(context);
    LOG.warn("dead-lettering change at {}: {}", source, e.getMessage());
    metrics.deadLettered.increment();
    context.forward(
        record.withHeaders(DeadLetters.headers("invalidator", e.getMessage(), source)),
        TopologyNames.CHANGES_DEAD_LETTER);
  }
}
