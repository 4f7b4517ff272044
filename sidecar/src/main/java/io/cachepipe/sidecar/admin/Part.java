package io.cachepipe.sidecar.admin;

/**
 * One part of the pipeline as readiness sees it.
 *
 * @param state what it is doing, as shown on the status page ({@code streaming}, {@code RUNNING},
 *     {@code PONG}, ...)
 * @param ready whether it does its job
 */
record Part(String state, boolean ready) {}
