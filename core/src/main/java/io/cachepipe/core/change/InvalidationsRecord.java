package io.cachepipe.core.change;

import java.util.function.Consumer;

/**
 * A message of the invalidations topic: an {@link Invalidation} (record key: its tag) or a {@link
 * Watermark} (key {@link Watermark#KEY}, marked by its header), the only two the topic's contract
 * allows.
 */
public sealed interface InvalidationsRecord permits Invalidation, Watermark {

  /** The record value: this message in its contract's JSON. */
  byte[] encode();

  /**
   * Hands this message to {@code invalidation} or to {@code watermark}, whichever takes its type.
   */
  void handle(Consumer<Invalidation> invalidation, Consumer<Watermark> watermark);
}
