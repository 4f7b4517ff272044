package io.cachepipe.consumer;

import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.change.Watermark;
import io.cachepipe.core.json.MalformedMessageException;
import io.cachepipe.core.kafka.CommittingPollLoop.BatchHandler;
import java.util.Collection;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;

/**
 * Turns one poll of the invalidations topic into listener calls, in each partition's order: an
 * invalidation to {@link InvalidationListener#invalidated}, a watermark to {@link CaughtUp} (and
 * {@link InvalidationListener#caughtUp} when the position grows), anything else to {@link
 * UnreadableRecords}. Returns once the poll is done, so its offsets may be committed.
 */
final class RecordDispatcher implements BatchHandler<byte[], byte[]>, ConsumerRebalanceListener {

  private final InvalidationListener listener;
  private final CaughtUp caughtUp;
  private final UnreadableRecords unreadable;
  private final ConsumerStats stats;

  RecordDispatcher(
      InvalidationListener listener,
      CaughtUp caughtUp,
      UnreadableRecords unreadable,
      ConsumerStats stats) {
    this.listener = listener;
    this.caughtUp = caughtUp;
    this.unreadable = unreadable;
    this.stats = stats;
  }

  @Override
  public void handle(ConsumerRecords<byte[], byte[]> records) {
    for (ConsumerRecord<byte[], byte[]> record : records) {
      dispatch(record);
    }
    unreadable.flush();
  }

  void dispatch(ConsumerRecord<byte[], byte[]> record) {
    if (Watermark.isWatermark(record.headers())) {
      Watermark watermark;
      try {
        watermark = Watermark.CONTRACT.decode(record.value());
      } catch (MalformedMessageException e) {
        unreadable.unreadable(record, e.getMessage());
        return;
      }
      stats.watermarks.increment();
      TopicPartition partition = new TopicPartition(record.topic(), record.partition());
      if (caughtUp.observe(partition, watermark, record.timestamp())) {
        listener.caughtUp(caughtUp.position());
      }
      return;
    }
    Invalidation invalidation;
    try {
      invalidation = Invalidation.CONTRACT.decode(record.value());
    } catch (MalformedMessageException e) {
      unreadable.unreadable(record, e.getMessage());
      return;
    }
    listener.invalidated(invalidation);
    stats.invalidations.increment();
  }

  @Override
  public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
    if (!partitions.isEmpty()) {
      caughtUp.revoked(partitions);
      stats.rebalances.increment();
      listener.partitionsChanged(caughtUp.owned());
    }
  }

  @Override
  public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
    caughtUp.assigned(partitions);
    if (!partitions.isEmpty()) {
      stats.rebalances.increment();
    }
    listener.partitionsChanged(caughtUp.owned());
  }
}
