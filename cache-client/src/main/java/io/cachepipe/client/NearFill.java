package io.cachepipe.client;

import java.util.List;

/**
 * What a fill of the near cache took when it began, before it read its value.
 *
 * @param tags the entry's tags
 * @param sequence the tier's invalidation sequence number then
 * @param beganNanos {@link System#nanoTime()} then
 * @param barrier the position Redis' watermark must have reached (see {@code NearCache#barrier})
 * @param applied per tag (same order), the commit position of the newest invalidation the tier had
 *     applied, or 0: Redis must have applied each too
 */
record NearFill(List<String> tags, long sequence, long beganNanos, long barrier, long[] applied) {}
