-- The recipe's four indexes.
-- An author's live posts, newest first, optionally only the published ones.
CREATE INDEX posts_author_published_created_idx
    ON posts (author_id, is_published, created_at) WHERE is_deleted = false;
-- The public feed: published, not deleted, by date.
CREATE INDEX posts_published_created_idx
    ON posts (created_at) WHERE is_published AND NOT is_deleted;
-- Posts by tag (tags @> ARRAY['x']).
CREATE INDEX posts_tags_gin_idx
    ON posts USING gin (tags);
-- Trending: the engagement score of published posts.
CREATE INDEX posts_engagement_idx
    ON posts ((like_count * 2 + view_count * 0.1)) WHERE is_published;

-- The user stats query (post count and total views of an author's live posts) as an
-- index-only scan: the key finds the author's rows, INCLUDE carries the summed column.
CREATE INDEX posts_author_stats_idx
    ON posts (author_id) INCLUDE (view_count) WHERE is_deleted = false;
