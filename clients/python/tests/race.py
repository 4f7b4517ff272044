"""The race of test_pipeline_race.py: Python readers racing writers through the real pipeline.

As sidecar's ConsistencyRaceIT/RaceWorkload: a few authors take all the traffic; a reader's query
takes 300 ms (pg_sleep, so its snapshot is that old when it returns), and every other reader is
slower than the pipeline: its query takes 1 s and it fills only once every change committed
meanwhile has been evicted (the watermark passed it). After the writers, one last write is made
while slow reads of the posts of two authors are in their query, and no read starts after it: a
fill that loses to it stays, unless a fence drops it.
"""

import json
import random
import threading
import time

import psycopg

from cachepipe_client import keys, write_token

READERS = 8
WRITERS = 2
POSTS_PER_AUTHOR = 10
READ_SECONDS = 0.3
SLOW_READ_SECONDS = 1.0
SLOW_READ_CAP = 5.0
LAST_WRITE_RACES = 2
TTL = 3600


class Entry:
    """An entry of an author: its post stats, or its posts' ids and view counts."""

    def __init__(self, kind, select):
        self.kind = kind
        self.select = select

    def key(self, author):
        return keys.entry(self.kind, author)

    def query(self, author, seconds, marker=""):
        sleep = f", pg_sleep({seconds})" if seconds else ""
        return (f"{marker}SELECT {self.select}{sleep} FROM posts"
                f" WHERE author_id = {author} AND is_deleted = false")

    def load(self, conn, author, seconds=0.0, marker=""):
        row = conn.execute(self.query(author, seconds, marker)).fetchone()
        if self.kind == "py_posts":
            return {"posts": row[0]}
        count, views = row[0].split(",")
        return {"post_count": int(count), "total_views": int(views)}


STATS = Entry("py_stats", "count(*)::text || ',' || coalesce(sum(view_count), 0)::text")
POSTS = Entry("py_posts", "coalesce(string_agg(id || ':' || view_count, ',' ORDER BY id), '')")
ENTRIES = (STATS, POSTS)


def slow_marker(author):
    return f"/* py-race slow posts of {author} */ "


class Race:
    """One run on the authors ``base+1 .. base+authors`` (and ``base+authors+1``, whom nobody
    reads), with ``read(conn_load, entry, author)`` as the application reads."""

    def __init__(self, dsn, watermark, base, seed, authors=4, writes_each=100):
        self.dsn = dsn
        self.watermark = watermark
        self.authors = [base + a for a in range(1, authors + 1)]
        self.bystander = base + authors + 1
        self.first_post = base * 100
        self.seed = seed
        self.writes_each = writes_each
        self.writes = 0
        self.reads = 0
        self.raced = []
        self.errors = []
        self._lock = threading.Lock()

    def connect(self):
        return psycopg.connect(self.dsn, autocommit=True)

    def seed_rows(self):
        with self.connect() as c:
            ids = [*self.authors, self.bystander]
            c.execute("INSERT INTO users (id, name, email) SELECT g, 'u' || g, 'u' || g || '@x'"
                      " FROM unnest(%s::bigint[]) g", (ids,))
            posts = POSTS_PER_AUTHOR * len(self.authors)
            c.execute("INSERT INTO posts (id, author_id, title, view_count)"
                      " SELECT %s + g, (%s::bigint[])[1 + g %% %s], 'p', g"
                      " FROM generate_series(1, %s) g",
                      (self.first_post, self.authors, len(self.authors), posts))

    def run(self, read):
        """Runs writers and readers; ``read(load, entry, author)`` reads through the cache, with
        ``load()`` reading PostgreSQL."""
        reading = threading.Event()
        reading.set()
        threads = [threading.Thread(target=self._guard, args=(self._write, w), daemon=True)
                   for w in range(WRITERS)]
        threads += [threading.Thread(target=self._guard, args=(self._read, r, read, reading),
                                     daemon=True) for r in range(READERS)]
        for t in threads:
            t.start()
        for t in threads[:WRITERS]:
            t.join()
        with self.connect() as c:
            self.raced = self._await_slow_posts_reads(c)[:LAST_WRITE_RACES]
            reading.clear()
            c.execute("UPDATE posts SET view_count = view_count + 1 WHERE author_id = ANY(%s)",
                      (self.raced,))
            self.writes += 1
        for t in threads:
            t.join(120)
        if self.errors:
            raise self.errors[0]

    def _guard(self, task, *args):
        try:
            task(*args)
        except BaseException as e:  # noqa: BLE001 - re-raised by run()
            self.errors.append(e)

    def _write(self, w):
        rnd = random.Random(self.seed * 17 + w)
        posts = POSTS_PER_AUTHOR * len(self.authors)
        with self.connect() as c:
            for _ in range(self.writes_each):
                post = self.first_post + 1 + rnd.randrange(posts)
                author = rnd.choice(self.authors)
                choice = rnd.randrange(5)
                if choice == 0:
                    c.execute("UPDATE posts SET view_count = view_count + 7 WHERE id = %s", (post,))
                elif choice == 1:
                    c.execute("UPDATE posts SET view_count = view_count + 1 WHERE author_id = %s",
                              (author,))
                elif choice == 2:
                    c.execute("UPDATE posts SET author_id = %s WHERE id = %s", (author, post))
                elif choice == 3:
                    c.execute("UPDATE posts SET is_deleted = NOT is_deleted WHERE id = %s", (post,))
                else:
                    c.execute("DELETE FROM posts WHERE id = %s", (post,))
                    c.execute("INSERT INTO posts (id, author_id, title, view_count)"
                              " VALUES (%s, %s, 'p', 3) ON CONFLICT DO NOTHING", (post, author))
                with self._lock:
                    self.writes += 1
                c.execute("SELECT pg_sleep(0.02)")  # a paced load the pipeline keeps up with

    def _read(self, r, read, reading):
        rnd = random.Random(self.seed * 31 + r)
        slow = r % 2 == 0
        with self.connect() as c:
            while reading.is_set():
                entry = rnd.choice(ENTRIES)
                author = rnd.choice(self.authors)
                if slow:
                    load = lambda e=entry, a=author: self._slow_load(c, e, a)  # noqa: E731
                else:
                    load = lambda e=entry, a=author: e.load(c, a, READ_SECONDS)  # noqa: E731
                read(load, entry, author)
                with self._lock:
                    self.reads += 1
                time.sleep(0.005)

    def _slow_load(self, c, entry, author):
        """Slower than the pipeline: returns once every change committed before the query
        returned has been evicted (or after SLOW_READ_CAP, if a stage is that slow)."""
        marker = slow_marker(author) if entry is POSTS else ""
        value = entry.load(c, author, SLOW_READ_SECONDS, marker)
        token = write_token(c)
        deadline = time.monotonic() + SLOW_READ_CAP
        while self.watermark() < token and time.monotonic() < deadline:
            time.sleep(0.005)
        return value

    def _await_slow_posts_reads(self, c):
        """The authors whose posts a slow read is querying now, once there are enough. Once
        readers cached every entry nothing reads PostgreSQL any more, so every second without
        enough it rewrites the posts as they are: a write that evicts every author's entries."""
        deadline = time.monotonic() + 60
        next_touch = time.monotonic() + 1
        while True:
            rows = c.execute("SELECT query FROM pg_stat_activity WHERE state = 'active'").fetchall()
            running = [a for a in self.authors
                       if any(q.startswith(slow_marker(a)) for (q,) in rows)]
            if len(running) >= LAST_WRITE_RACES:
                return running
            if time.monotonic() > deadline:
                raise AssertionError(f"no slow reads of {LAST_WRITE_RACES} authors' posts in 60 s")
            if time.monotonic() >= next_touch:
                c.execute("UPDATE posts SET view_count = view_count WHERE author_id = ANY(%s)",
                          (self.authors,))
                next_touch = time.monotonic() + 1
            time.sleep(0.005)

    def quiesce(self, timeout=90):
        """Waits until every change committed so far has been evicted."""
        with self.connect() as c:
            lsn = int(c.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn").fetchone()[0])
            c.execute("UPDATE users SET updated_at = now() WHERE id = %s", (self.bystander,))
        deadline = time.monotonic() + timeout
        while self.watermark() < lsn:
            if time.monotonic() > deadline:
                raise AssertionError(f"the pipeline did not pass LSN {lsn} in {timeout} s")
            time.sleep(0.01)

    def stale_entries(self, redis):
        """Every cached entry of the run that differs from PostgreSQL, and how many were cached."""
        stale, compared = [], 0
        with self.connect() as c:
            for entry in ENTRIES:
                for author in self.authors:
                    stored = redis.get(entry.key(author))
                    if stored is None:
                        continue
                    compared += 1
                    actual = entry.load(c, author)
                    if json.loads(stored) != actual:
                        stale.append(f"{entry.key(author)} cached {stored} but database has {actual}")
        return stale, compared

    def figures(self):
        return (f"{self.writes} writes, {self.reads} reads, last write raced slow reads of the"
                f" posts of authors {self.raced}")
