package io.cachepipe.invalidator;

import io.cachepipe.core.change.ChangeEvent;
import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.change.InvalidationsRecord;
import io.cachepipe.core.change.Reduced;
import io.cachepipe.core.change.Watermark;
import io.cachepipe.core.tag.TagRules;
import io.cachepipe.core.tag.TagRules.TagResult;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps each change to its tags with the tag rules. A watermark passes on, restamped with the
 * partition it came through. Changes that could not be read are left to {@link UnreadableChanges}.
 *
 * <p>A rule that renders a blank tag costs that tag only: the change's other tags leave, then the
 * tagger throws, and {@link DeadLetteringHandler} sends the record to the dead-letter topic with
 * the reason. Every other failure of a record takes the same path.
 */
final class ChangeTagger implements Processor<byte[], ChangesRecord, String, InvalidationsRecord> {

  private static final Logger LOG = LoggerFactory.getLogger(ChangeTagger.class);

  private final TagRules rules;
  private final InvalidatorMetrics metrics;
  private ProcessorContext<String, InvalidationsRecord> context;

  ChangeTagger(TagRules rules, InvalidatorMetrics metrics) {
    this.rules = rules;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<String, InvalidationsRecord> context) {
    this.context = context;
  }

  @Override
  public void process(Record<byte[], ChangesRecord> record) {
    long timestamp = record.timestamp();
    record
        .value()
        .handle(
            change -> tag(change, Reduced.of(record.headers()).orElse(null), timestamp),
            watermark -> passOn(watermark, timestamp),
            unreadable -> {});
  }

  private void tag(ChangeEvent change, Reduced reduced, long timestamp) {
    metrics.lastTaggedMillis = context.currentSystemTimeMs();
    TagResult result = rules.tagsFor(change, reduced);
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
          new Record<>(tag, Invalidation.of(tag, change), timestamp), TopologyNames.COALESCER);
    }
    String untaggable = untaggable(result, reduced);
    if (untaggable != null) {
      // The tags that rendered are on their way; the record goes to the dead-letter topic (through
      // DeadLetteringHandler) so that someone fixes the rule or the data.
      throw new UntaggableChangeException(
          "rule(s) "
              + untaggable
              + " for "
              + change.op().wireName()
              + " "
              + change.table()
              + " "
              + change.key()
              + " at lsn "
              + change.lsn()
              + "; its other tags "
              + result.tags()
              + " were invalidated");
    }
  }

  /**
   * What made rules of {@code result} render no usable tag, or null when nothing did: a blank tag,
   * or a change cut down to its key (too big for Kafka even as its rule columns) that rules over
   * other columns cannot render from, so that entries under their tags stay cached until their TTL.
   */
  private static String untaggable(TagResult result, Reduced reduced) {
    List<String> problems = new ArrayList<>(2);
    if (!result.blankRules().isEmpty()) {
      problems.add(result.blankRules() + " rendered a blank tag");
    }
    if (reduced == Reduced.KEY_ONLY && !result.unrenderedRules().isEmpty()) {
      problems.add(
          result.unrenderedRules()
              + " could not render from a change cut down to its key (too big for Kafka); entries"
              + " under their tags stay cached until their TTL");
    }
    return problems.isEmpty() ? null : String.join(" and ", problems);
  }

  /** A change of which some tag rule rendered no usable tag; the record is dead-lettered. */
  static final class UntaggableChangeException extends RuntimeException {
    UntaggableChangeException(String message) {
      super(message, null, false, false);
    }
  }

  private void passOn(Watermark watermark, long timestamp) {
    int partition = context.recordMetadata().map(m -> m.partition()).orElse(watermark.source());
    context.forward(
        new Record<>(
            Watermark.KEY,
            Watermark.of(watermark.lsn(), partition, Math.max(watermark.sources(), partition + 1)),
            timestamp,
            Watermark.headers()),
        TopologyNames.COALESCER);
  }
}
