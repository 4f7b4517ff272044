"""CachingService against a real redis-server, evicted by cachepipe's own eviction scripts."""

import json
import threading
import time

import pytest
import redis

from cachepipe_client import CachingService, keys
from evictor import evict


class Query:
    """A query_func that counts its calls and can run something while it "reads"."""

    def __init__(self, value, during=None):
        self.value = value
        self.during = during
        self.calls = 0

    def __call__(self, **params):
        self.calls += 1
        self.params = params
        if self.during:
            self.during()
        return self.value


@pytest.fixture
def cache(r):
    return CachingService(r)


def test_a_miss_queries_then_caches_json_under_its_tags(cache, r):
    query = Query({"post_count": 4, "total_views": 160})

    first = cache.get_cached_query_result(
        "cp:user_stats:42", query, 300, tags=["user:42"], user_id=42)
    second = cache.get_cached_query_result("cp:user_stats:42", query, 300, tags=["user:42"])

    assert first == second == {"post_count": 4, "total_views": 160}
    assert query.calls == 1 and query.params == {"user_id": 42}
    assert json.loads(r.get("cp:user_stats:42")) == {"post_count": 4, "total_views": 160}
    expiry = r.zscore("cp:tag:{user:42}:keys", "cp:user_stats:42")
    now_ms = time.time() * 1000
    assert now_ms + 290_000 < expiry <= now_ms + 301_000
    assert 290_000 < r.pttl("cp:user_stats:42") <= 300_000
    assert cache.stats.as_dict() | {} == {
        "hits": 1, "misses": 1, "fills_accepted": 1, "fills_rejected": 0, "redis_errors": 0,
        "own_write_waits": 0, "own_write_bypasses": 0}


def test_cachepipes_eviction_of_any_tag_deletes_the_entry(cache, r):
    cache.get_cached_query_result("cp:post:7", Query({"id": 7}), 300, tags=["post:7", "user:1"])
    cache.get_cached_query_result("cp:post:8", Query({"id": 8}), 300, tags=["post:8", "user:1"])

    assert evict(r, "user:1", position="100")

    assert r.get("cp:post:7") is None and r.get("cp:post:8") is None
    query = Query({"id": 7, "title": "new"})
    assert cache.get_cached_query_result("cp:post:7", query, 300, tags=["post:7"]) == query.value
    assert query.calls == 1


def test_a_fill_raced_by_an_eviction_of_its_tag_is_dropped(cache, r):
    # The eviction commits while the query reads: its old value must not be cached after it.
    query = Query({"v": "old"}, during=lambda: evict(r, "user:9", position="5"))

    assert cache.get_cached_query_result("cp:a:9", query, 300, tags=["user:9"]) == {"v": "old"}

    assert r.get("cp:a:9") is None
    assert r.zscore("cp:tag:{user:9}:keys", "cp:a:9") is None
    assert cache.stats.fills_rejected == 1 and cache.stats.fills_accepted == 0


def test_a_bump_of_the_epoch_drops_every_fill_in_flight(cache, r):
    query = Query({"v": 1}, during=lambda: r.incr(keys.EPOCH))

    cache.get_cached_query_result("cp:a:1", query, 300, tags=["user:1"])

    assert r.get("cp:a:1") is None


def test_an_eviction_at_a_position_already_applied_changes_nothing(cache, r):
    assert evict(r, "user:3", position="200")
    cache.get_cached_query_result("cp:a:3", Query({"v": 1}), 300, tags=["user:3"])

    assert not evict(r, "user:3", position="150")  # a replay of an older change: skipped
    assert r.get("cp:a:3") == '{"v":1}'


def test_tags_with_braces_percent_and_none_at_all(cache, r):
    for tag in ["}x", "50%", "", "ünï"]:
        cache.get_cached_query_result("cp:t:" + tag, Query([tag]), 300, tags=[tag])
        assert r.zscore(keys.tag_registry(tag), "cp:t:" + tag) is not None
        assert evict(r, tag)
        assert r.get("cp:t:" + tag) is None
    cache.get_cached_query_result("cp:untagged", Query(1), 300)
    assert r.get("cp:untagged") == "1"


def test_a_fill_past_its_deadline_is_dropped(r):
    cache = CachingService(r, fill_deadline=0.05)

    cache.get_cached_query_result(
        "cp:slow:1", Query({"v": 1}, during=lambda: time.sleep(0.1)), 300, tags=["user:1"])

    assert r.get("cp:slow:1") is None
    assert cache.stats.fills_rejected == 1


def test_values_are_json_never_pickle(cache, r):
    class Row:
        pass

    with pytest.raises(TypeError, match="cp:obj:1 cannot be written as JSON"):
        cache.get_cached_query_result("cp:obj:1", Query(Row()), 300, tags=["user:1"])
    r.set("cp:obj:2", b"\x80\x04\x95 not json")
    query = Query({"v": 2})
    assert cache.get_cached_query_result("cp:obj:2", query, 300, tags=["user:1"]) == {"v": 2}
    assert query.calls == 1
    assert r.get("cp:obj:2") == '{"v":2}'


def test_json_default_maps_types_json_lacks(r):
    import datetime
    import decimal

    cache = CachingService(r, json_default=str)
    value = {"at": datetime.date(2026, 12, 3), "sum": decimal.Decimal("1.50")}

    cache.get_cached_query_result("cp:typed:1", Query(value), 300)

    assert json.loads(r.get("cp:typed:1")) == {"at": "2026-12-03", "sum": "1.50"}


def test_a_client_without_decoded_responses_and_a_url_work_alike(redis_server, r):
    cache = CachingService(redis_server)
    cache.get_cached_query_result("cp:url:1", Query({"v": "é"}), 300, tags=["user:é"])
    assert CachingService(redis.Redis.from_url(redis_server)).get_cached_query_result(
        "cp:url:1", Query(None), 300) == {"v": "é"}
    assert evict(r, "user:é")
    assert r.get("cp:url:1") is None


def test_when_redis_is_down_reads_go_to_the_query():
    cache = CachingService("redis://127.0.0.1:1")
    query = Query({"v": 1})

    assert cache.get_cached_query_result("cp:a:1", query, 300, tags=["user:1"]) == {"v": 1}
    assert cache.stats.redis_errors == 1


def test_a_read_after_a_write_waits_for_the_watermark(cache, r):
    r.set(keys.WATERMARK, 99)
    cache.get_cached_query_result("cp:ryw:1", Query("cached"), 300, tags=["user:1"])
    threading.Timer(0.05, lambda: r.set(keys.WATERMARK, 100)).start()

    value = cache.get_cached_query_result(
        "cp:ryw:1", Query("fresh"), 300, tags=["user:1"], after=100, max_wait=5)

    assert value == "cached"
    assert cache.stats.own_write_waits == 1 and cache.stats.own_write_bypasses == 0
    assert cache.watermark() == 100


def test_a_read_after_a_write_the_watermark_does_not_reach_bypasses_the_cache(cache, r):
    r.set(keys.WATERMARK, 99)
    cache.get_cached_query_result("cp:ryw:2", Query("cached"), 300, tags=["user:1"])
    query = Query("fresh")

    value = cache.get_cached_query_result(
        "cp:ryw:2", query, 300, tags=["user:1"], after=100, max_wait=0.05)

    assert value == "fresh" and query.calls == 1
    assert r.get("cp:ryw:2") == '"cached"'  # read past the cache: nothing filled
    assert cache.stats.own_write_bypasses == 1


def test_a_bad_ttl_is_refused(cache):
    with pytest.raises(ValueError, match="ttl must be positive"):
        cache.get_cached_query_result("cp:a:1", Query(1), 0)
