package io.cachepipe.auditor;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A cached entry that differed from PostgreSQL, and still did after the grace period.
 *
 * @param key the entry's key ({@code cp:user_stats:42})
 * @param kind the name of its warmable entry kind ({@code user_stats})
 * @param cached its cached value as JSON (a JSON string holding the raw text if it is not JSON)
 * @param trueValue its value as PostgreSQL has it now: what the warmer would write (JSON null if
 *     the kind's query has no row)
 * @param ageMillis how long it has been cached, inferred from its TTL: the kind's configured {@code
 *     ttl.ms} minus the TTL it has left. Exact for an entry filled with that TTL (the warmer's
 *     fills, and an application's that use the same TTL); null when the entry has no TTL or more
 *     left than {@code ttl.ms}, so that its age cannot be told
 * @param ttlRemainingMillis the TTL it has left, as Redis PTTL says (-1: none; -2: it went
 *     meanwhile)
 */
public record StaleEntry(
    String key,
    String kind,
    JsonNode cached,
    JsonNode trueValue,
    Long ageMillis,
    long ttlRemainingMillis) {}
