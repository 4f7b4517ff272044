package io.cachepipe.demo;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The example's cached aggregate, as the application reads it: an author's live posts and views.
 */
public record UserStats(
    @JsonProperty("post_count") long postCount, @JsonProperty("total_views") long totalViews) {}
