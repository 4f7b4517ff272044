-- The example domain of the caching recipe cachepipe grew from.
CREATE TABLE users (
    id         bigserial   PRIMARY KEY,
    name       text        NOT NULL,
    email      text        NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE posts (
    id           bigserial   PRIMARY KEY,
    author_id    bigint      NOT NULL REFERENCES users (id),
    title        text        NOT NULL,
    body         text        NOT NULL DEFAULT '',
    tags         text[]      NOT NULL DEFAULT '{}',
    is_published boolean     NOT NULL DEFAULT false,
    is_deleted   boolean     NOT NULL DEFAULT false,
    like_count   integer     NOT NULL DEFAULT 0,
    view_count   bigint      NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- With the DEFAULT identity an UPDATE carries no before-image and a DELETE carries zero-filled
-- non-key columns (author_id = 0): a post moved away from an author would never evict that
-- author's entries. cachepipe refuses to capture a table whose identity is not FULL.
ALTER TABLE users REPLICA IDENTITY FULL;
ALTER TABLE posts REPLICA IDENTITY FULL;
