"""Python readers racing writers through the real pipeline (PostgreSQL, Kafka, Redis and every
stage), started by sidecar's PythonClientIT, which passes their addresses in CACHEPIPE_PY_*."""

import json
import os
import time

import psycopg
import pytest
import redis

from cachepipe_client import CachingService, keys, write_token
from race import TTL, Race

PG_DSN = os.environ.get("CACHEPIPE_PY_PG_DSN")
REDIS_URL = os.environ.get("CACHEPIPE_PY_REDIS_URL")
SEED = int(os.environ.get("CACHEPIPE_PY_RACE_SEED", "20261203"))

pytestmark = pytest.mark.skipif(
    not (PG_DSN and REDIS_URL),
    reason="needs the whole pipeline: run by sidecar's PythonClientIT (CACHEPIPE_PY_* unset)",
)


@pytest.fixture(scope="module")
def pipeline_redis():
    client = redis.Redis.from_url(
        REDIS_URL, password=os.environ.get("CACHEPIPE_PY_REDIS_PASSWORD"), decode_responses=True)
    yield client
    client.close()


def watermark_of(r):
    return lambda: int(r.get(keys.WATERMARK) or -1)


def test_with_fences_no_stale_entry_survives_python_readers_racing_writers(pipeline_redis):
    cache = CachingService(pipeline_redis)
    race = Race(PG_DSN, watermark_of(pipeline_redis), base=100, seed=SEED)
    race.seed_rows()

    race.run(lambda load, entry, author: cache.get_cached_query_result(
        entry.key(author), load, TTL, tags=[f"user:{author}"]))
    race.quiesce()
    stale, compared = race.stale_entries(pipeline_redis)

    print(f"python race, fences on, seed {SEED}: {race.figures()}; {cache.stats};"
          f" {compared} cached entries compared, {len(stale)} stale")
    assert stale == [], f"stale entries with seed {SEED}"
    assert cache.stats.fills_rejected > 0, "no fill was dropped by a fence: the race never raced"


def test_without_fences_the_same_race_leaves_stale_entries(pipeline_redis):
    """The control: the classic cache-aside (GET, query, SET and register, no version check) must
    leave stale entries behind, or the race does not race and the fenced run proves nothing."""
    race = Race(PG_DSN, watermark_of(pipeline_redis), base=200, seed=SEED)
    race.seed_rows()

    def unfenced(load, entry, author):
        key = entry.key(author)
        if pipeline_redis.get(key) is None:
            value = load()
            pipeline_redis.set(key, json.dumps(value, separators=(",", ":")), px=TTL * 1000)
            pipeline_redis.zadd(keys.tag_registry(f"user:{author}"),
                                {key: time.time() * 1000 + TTL * 1000})

    race.run(unfenced)
    race.quiesce()
    stale, compared = race.stale_entries(pipeline_redis)

    print(f"python race, fences off, seed {SEED}: {race.figures()};"
          f" {compared} cached entries compared, {len(stale)} stale")
    for s in stale:
        print(f"python race, fences off, stale: {s}")
    assert stale, f"no stale entry left by unfenced readers with seed {SEED}"


def test_a_read_after_a_write_sees_it_through_the_pipeline(pipeline_redis):
    cache = CachingService(pipeline_redis)
    with psycopg.connect(PG_DSN, autocommit=True) as db:
        db.execute("INSERT INTO users (id, name, email) VALUES (301, 'before', 'a@x')")

        def name(user_id):
            return db.execute("SELECT name FROM users WHERE id = %s", (user_id,)).fetchone()[0]

        key = keys.entry("py_user_name", 301)
        assert cache.get_cached_query_result(key, name, TTL, tags=["user:301"], user_id=301) \
            == "before"
        db.execute("UPDATE users SET name = 'after' WHERE id = 301")
        token = write_token(db)

        read = cache.get_cached_query_result(
            key, name, TTL, tags=["user:301"], after=token, max_wait=30, user_id=301)

        assert read == "after"
        assert cache.stats.own_write_bypasses == 0
