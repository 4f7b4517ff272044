package io.cachepipe.warmer;

import io.cachepipe.client.CacheStats;

/**
 * What a {@link Warmer} has done, counted since it started, as read at one moment.
 *
 * @param warmed entries filled by the warmer
 * @param abandoned recomputes given up after {@link EntryRecomputer#MAX_ATTEMPTS} dropped fills
 *     (the entry stays a miss)
 * @param failed recomputes that failed (logged)
 * @param queued recomputes started and not finished: waiting for the pool, the rate limit or a
 *     connection, or running (a follow-up waiting for its key's recompute in flight is not counted)
 * @param recomputes recomputes finished, whatever their outcome
 * @param recomputeNanos time spent in the finished recomputes, in nanoseconds (queries, fills and
 *     their retries)
 * @param startedFromReports eviction reports whose recomputes started as the invalidator in this
 *     process wrote them, before the consumer read them
 * @param leaseWaits recomputes that waited for another recompute of the same entry, by another
 *     warmer instance, to finish ({@code EntryRecomputer}'s warm lease)
 * @param timedOut recomputes (a batch query counts once) cancelled by the statement timeout and
 *     skipped: their entries stay evicted
 * @param deadLettered eviction reports it could not read, written to the dead-letter topic
 * @param cache the counters of the warmer's own cache-client (its fills accepted and rejected),
 *     which go on counting
 */
public record WarmerStats(
    long warmed,
    long abandoned,
    long failed,
    long queued,
    long recomputes,
    long recomputeNanos,
    long startedFromReports,
    long leaseWaits,
    long timedOut,
    long deadLettered,
    CacheStats cache) {}
