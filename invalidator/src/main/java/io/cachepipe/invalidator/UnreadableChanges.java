package io.cachepipe.invalidator;

import io.cachepipe.core.kafka.DeadLetters;
import io.cachepipe.invalidator.ChangesRecord.Unreadable;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends each change that could not be read to the dead-letter topic: its original key and bytes,
 * with the reason and where it was read in the headers. The {@link ChangeTagger} beside it skips
 * them.
 */
final class UnreadableChanges implements Processor<byte[], ChangesRecord, byte[], byte[]> {

  private static final Logger LOG = LoggerFactory.getLogger(UnreadableChanges.class);

  private final InvalidatorMetrics metrics;
  private ProcessorContext<byte[], byte[]> context;

  UnreadableChanges(InvalidatorMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<byte[], byte[]> context) {
    this.context = context;
  }

  @Override
  public void process(Record<byte[], ChangesRecord> record) {
    record
        .value()
        .handle(change -> {}, watermark -> {}, unreadable -> deadLetter(record, unreadable));
  }

  private void deadLetter(Record<byte[], ChangesRecord> record, Unreadable unreadable) {
    String source = TopologyNames.sourceOf(context);
    LOG.warn("dead-lettering change at {}: {}", source, unreadable.reason());
    metrics.deadLettered.increment();
    context.forward(
        new Record<>(
            record.key(),
            unreadable.value(),
            record.timestamp(),
            DeadLetters.headers("invalidator", unreadable.reason(), source)),
        TopologyNames.CHANGES_DEAD_LETTER);
  }
}
