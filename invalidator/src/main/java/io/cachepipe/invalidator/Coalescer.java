package io.cachepipe.invalidator;

import io.cachepipe.core.change.Invalidation;
import io.cachepipe.core.change.InvalidationsRecord;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Coalesces a hot tag's invalidations with a bounded delay, in a state store flushed by wall-clock
 * punctuation.
 *
 * <p>A tag's first invalidation passes at once and opens a window for the tag. Invalidations of the
 * tag inside the window are held in the store, the newest replacing the older (so the one that
 * leaves carries the newest commit position, {@link Invalidation#commitLsn}), and leave at the
 * window's end, which opens the next window. So a tag under a write storm is evicted at most once
 * per window, a quiet tag is never delayed, and no invalidation waits longer than {@code maxDelay}:
 * the window is {@code maxDelay} less the punctuation period, and held entries leave at the first
 * punctuation after it ends.
 *
 * <p>Held invalidations are in a changelogged store: Streams flushes it before it commits the input
 * offsets, so a crash loses none of them, and a restart emits the restored ones at once.
 *
 * <p>Watermarks pass through too, but never ahead of a held invalidation of an earlier change: a
 * watermark is kept back until every invalidation held before it arrived has left.
 */
final class Coalescer
    implements Processor<String, InvalidationsRecord, String, InvalidationsRecord> {

  static final String STORE = "coalesced-invalidations";

  private final Duration maxDelay;
  private final long windowMillis;
  private final long periodMillis;
  private final InvalidatorMetrics metrics;
  private ProcessorContext<String, InvalidationsRecord> context;
  private KeyValueStore<String, byte[]> store;

  /** Per tag, when its current window ends (wall clock); a lost entry only costs one eviction. */
  private final Map<String, Long> windowEnds = new HashMap<>();

  /** Held invalidations by tag, in the order they were first held. */
  private final Map<String, Held> held = new LinkedHashMap<>();

  /** Watermarks waiting for the invalidations held before them. */
  private final ArrayDeque<HeldWatermark> watermarks = new ArrayDeque<>();

  /** Arrival order of held invalidations and watermarks. */
  private long sequence;

  private record Held(Invalidation invalidation, long since) {}

  private record HeldWatermark(long sequence, Record<String, InvalidationsRecord> record) {}

  /**
   * @param maxDelay the longest an invalidation may be held; zero passes everything at once
   */
  Coalescer(Duration maxDelay, InvalidatorMetrics metrics) {
    this.maxDelay = maxDelay;
    this.periodMillis = period(maxDelay).toMillis();
    this.windowMillis = Math.max(1, maxDelay.toMillis() - periodMillis);
    this.metrics = metrics;
  }

  /** How often held invalidations are checked: a fifth of the delay, at least a millisecond. */
  static Duration period(Duration maxDelay) {
    return Duration.ofMillis(Math.max(1, maxDelay.toMillis() / 5));
  }

  @Override
  public void init(ProcessorContext<String, InvalidationsRecord> context) {
    this.context = context;
    this.store = context.getStateStore(STORE);
    // Restored after a crash or a move: held before the move, so older than any new watermark.
    try (KeyValueIterator<String, byte[]> restored = store.all()) {
      while (restored.hasNext()) {
        KeyValue<String, byte[]> entry = restored.next();
        held.put(entry.key, new Held(Invalidation.CONTRACT.decode(entry.value), 0));
      }
    }
    if (!maxDelay.isZero() || !held.isEmpty()) {
      context.schedule(period(maxDelay), PunctuationType.WALL_CLOCK_TIME, this::flushDue);
    }
  }

  @Override
  public void process(Record<String, InvalidationsRecord> record) {
    record
        .value()
        .handle(
            invalidation -> coalesce(invalidation, record.timestamp()),
            watermark -> passOrHold(record));
  }

  /** A watermark leaves at once, unless invalidations held before it must leave first. */
  private void passOrHold(Record<String, InvalidationsRecord> watermark) {
    if (held.isEmpty()) {
      context.forward(watermark, TopologyNames.WATERMARKS_SINK);
    } else {
      watermarks.add(new HeldWatermark(++sequence, watermark));
    }
  }

  private void coalesce(Invalidation invalidation, long timestamp) {
    String tag = invalidation.tag();
    long now = context.currentSystemTimeMs();
    Held before = held.get(tag);
    if (before == null) {
      Long windowEnd = windowEnds.get(tag);
      if (maxDelay.isZero() || windowEnd == null || windowEnd <= now) {
        forward(invalidation, timestamp, now);
        return;
      }
      held.put(tag, new Held(invalidation, ++sequence));
    } else {
      metrics.coalesced.increment();
      Invalidation newest =
          invalidation.supersedes(before.invalidation()) ? invalidation : before.invalidation();
      held.put(tag, new Held(newest, before.since()));
    }
    store.put(tag, Invalidation.CONTRACT.encode(held.get(tag).invalidation()));
  }

  private void forward(Invalidation invalidation, long timestamp, long now) {
    if (!maxDelay.isZero()) {
      windowEnds.put(invalidation.tag(), now + windowMillis);
    }
    context.forward(
        new Record<>(invalidation.tag(), invalidation, timestamp),
        TopologyNames.INVALIDATIONS_SINK);
  }

  /** Sends the held invalidations whose window ended, then the watermarks they held back. */
  private void flushDue(long now) {
    for (Iterator<Map.Entry<String, Held>> it = held.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Held> entry = it.next();
      Long windowEnd = windowEnds.get(entry.getKey());
      if (windowEnd == null || windowEnd <= now) {
        it.remove();
        store.delete(entry.getKey());
        forward(entry.getValue().invalidation(), now, now);
      }
    }
    windowEnds.values().removeIf(end -> end <= now);
    long oldestHeld = held.values().stream().mapToLong(Held::since).min().orElse(Long.MAX_VALUE);
    while (!watermarks.isEmpty() && watermarks.peek().sequence() < oldestHeld) {
      context.forward(watermarks.poll().record(), TopologyNames.WATERMARKS_SINK);
    }
  }
}
