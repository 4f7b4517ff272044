"""CachingService against a real three-master Redis Cluster."""

import json

import pytest

from cachepipe_client import CachingService, keys
from evictor import evict
from test_service import Query


@pytest.fixture
def cluster(redis_cluster):
    redis_cluster.flushall(target_nodes=redis_cluster.ALL_NODES)
    return redis_cluster


def test_a_cluster_entry_carries_the_versions_it_was_filled_against(cluster):
    cache = CachingService(cluster)
    cluster.incr(keys.tag_version("user:42"))
    query = Query({"post_count": 4})

    cache.get_cached_query_result("cp:user_stats:42", query, 300, tags=["user:42"])
    hit = cache.get_cached_query_result("cp:user_stats:42", query, 300, tags=["user:42"])

    assert cache.cluster and hit == {"post_count": 4} and query.calls == 1
    assert json.loads(cluster.get("cp:user_stats:42")) == {
        "k": ["cp:tag:{user:42}:v", "cp:{epoch}"], "v": ["1", "0"], "d": {"post_count": 4}}
    assert cluster.zscore("cp:tag:{user:42}:keys", "cp:user_stats:42") is not None


def test_an_eviction_in_a_cluster_unlinks_the_entries_of_every_tag(cluster):
    cache = CachingService(cluster)
    for i in range(20):  # spread over the slots of all three masters
        cache.get_cached_query_result(f"cp:post:{i}", Query(i), 300, tags=["user:1", f"post:{i}"])

    assert evict(cluster, "user:1", position="10", cluster=True)

    assert all(cluster.get(f"cp:post:{i}") is None for i in range(20))


def test_an_entry_written_after_an_eviction_passed_its_fence_is_never_served(cluster):
    cache = CachingService(cluster)
    cache.get_cached_query_result("cp:a:1", Query("old"), 300, tags=["user:1", "post:1"])
    # An eviction that bumped the version while the entry's write was on its way: the entry is
    # still there, carrying the old version.
    cluster.incr(keys.tag_version("post:1"))
    query = Query("new")

    assert cache.get_cached_query_result("cp:a:1", query, 300, tags=["user:1", "post:1"]) == "new"
    assert query.calls == 1


def test_a_fill_raced_by_an_eviction_in_a_cluster_is_dropped(cluster):
    cache = CachingService(cluster)
    query = Query("old", during=lambda: evict(cluster, "user:5", cluster=True))

    cache.get_cached_query_result("cp:a:5", query, 300, tags=["post:5", "user:5"])

    assert cluster.get("cp:a:5") is None
    assert cache.stats.fills_rejected == 1


def test_an_entry_the_java_client_wrote_is_read(cluster):
    cluster.set("cp:j:1", '{"k":["cp:tag:{user:7}:v","cp:{epoch}"],"v":["0","0"],"d":{"a":[1,2]}}')
    query = Query(None)

    assert CachingService(cluster).get_cached_query_result("cp:j:1", query, 300) == {"a": [1, 2]}
    assert query.calls == 0


def test_the_fence_script_is_loaded_on_every_master_without_a_noscript_error(cluster, caplog):
    cluster.script_flush()  # on every master
    cache = CachingService(cluster)

    for i in range(10):  # version keys in the slots of every master
        cache.get_cached_query_result(f"cp:n:{i}", Query(i), 300, tags=[f"user:{i}"])

    assert cache.stats.fills_accepted == 10
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []
