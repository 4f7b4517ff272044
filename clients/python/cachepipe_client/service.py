"""The recipe's ``CachingService``, with tags, JSON values and fenced fills."""

import json
import logging
import threading
import time
from datetime import timedelta

import redis as redis_py
from redis.exceptions import RedisError

from . import keys
from .entries import ClusterEntries, StandaloneEntries, Versions
from .watermark import WatermarkWait

log = logging.getLogger("cachepipe_client")

#: A fill whose versions were read longer ago than this (seconds) is dropped: the versions are
#: kept far longer (a day by default), so a fill never compares against one that expired.
DEFAULT_FILL_DEADLINE = 10.0
#: How long a Redis call may take (seconds) before a read goes to the query instead.
DEFAULT_COMMAND_TIMEOUT = 1.0


class CacheStats:
    """Counters of what the service did; read them as attributes."""

    FIELDS = (
        "hits",
        "misses",
        "fills_accepted",
        "fills_rejected",
        "redis_errors",
        "own_write_waits",
        "own_write_bypasses",
    )

    def __init__(self):
        self._lock = threading.Lock()
        for name in self.FIELDS:
            setattr(self, name, 0)

    def add(self, name, n=1):
        with self._lock:
            setattr(self, name, getattr(self, name) + n)

    def as_dict(self):
        return {name: getattr(self, name) for name in self.FIELDS}

    def __repr__(self):
        return f"CacheStats({self.as_dict()})"


def _millis(ttl):
    seconds = ttl.total_seconds() if isinstance(ttl, timedelta) else float(ttl)
    if seconds <= 0:
        raise ValueError(f"ttl must be positive, got {ttl!r}")
    return max(1, int(seconds * 1000))


class CachingService:
    """Read-through caching whose fills are fenced, over cachepipe's Redis protocol.

    ``get_cached_query_result`` reads the versions of the entry's tags (and the cache epoch)
    before it runs the query, and fills the entry (registering it under each tag) only if none
    moved meanwhile: a reader that loaded an old row while a writer committed can never put it
    back after cachepipe evicted the tag. Values are JSON, never pickle. Thread-safe.

    ``redis``: a ``redis.Redis`` or ``redis.cluster.RedisCluster`` (with ``decode_responses``
    either way), or a URL (``redis://host:port``). Against a cluster, entries are stored with the
    versions they were filled against (docs/redis-protocol.md, "Entries").
    """

    def __init__(
        self,
        redis,
        *,
        scripts_dir=None,
        fill_deadline=DEFAULT_FILL_DEADLINE,
        json_default=None,
    ):
        if isinstance(redis, str):
            redis = redis_py.Redis.from_url(
                redis,
                socket_timeout=DEFAULT_COMMAND_TIMEOUT,
                socket_connect_timeout=DEFAULT_COMMAND_TIMEOUT,
            )
        self.redis = redis
        self.cluster = _is_cluster(redis)
        self.entries = (ClusterEntries if self.cluster else StandaloneEntries)(scripts_dir)
        self.fill_deadline = float(fill_deadline)
        self.json_default = json_default
        self.stats = CacheStats()
        self._own_writes = WatermarkWait(redis, self.stats)

    def get_cached_query_result(
        self,
        cache_key,
        query_func,
        ttl=300,
        tags=(),
        *,
        after=None,
        max_wait=1.0,
        **params,
    ):
        """The cached value of ``cache_key``, or ``query_func(**params)``, cached under ``tags``
        for ``ttl`` (seconds or a timedelta) unless a tag was evicted meanwhile.

        ``cache_key`` is stored as it is: make it readable and name what ``params`` select
        (``cp:user_stats:42``). ``tags`` are what the value depends on (``user:42``): cachepipe
        evicts the entry when a change to any of them commits. With ``after`` (a token from
        :func:`cachepipe_client.write_token`), the value is never older than that write: it is
        served from the cache once cachepipe's watermark reached the token, waiting up to
        ``max_wait`` seconds, else read from ``query_func`` without caching. If Redis fails, the
        value comes from ``query_func``.
        """
        tags = [tags] if isinstance(tags, str) else list(tags)
        ttl_ms = _millis(ttl)
        if after is not None and not self._reached(after, max_wait):
            self.stats.add("own_write_bypasses")
            return query_func(**params)
        try:
            stored = self.redis.get(cache_key)
            value = None if stored is None else self.entries.current(self.redis, _text(stored))
            if value is not None:
                hit = json.loads(value)
                self.stats.add("hits")
                return hit
        except RedisError as e:
            self.stats.add("redis_errors")
            log.warning("cache read of %s failed, querying instead: %s", cache_key, e)
            return query_func(**params)
        except ValueError as e:
            log.warning("cached %s is not a cachepipe entry: querying again (%s)", cache_key, e)
        self.stats.add("misses")
        try:
            versions = self.versions(tags)
        except RedisError as e:
            self.stats.add("redis_errors")
            log.warning("tag versions of %s unreadable, querying uncached: %s", cache_key, e)
            return query_func(**params)
        result = query_func(**params)
        if result is not None:
            self.fill(cache_key, versions, ttl_ms, result)
        return result

    def versions(self, tags):
        """The current versions of ``tags`` and the epoch. Read them BEFORE querying the source of
        truth, then :meth:`fill` with the result."""
        version_keys = keys.version_keys(tags)
        read = self.entries.read_versions(self.redis, version_keys)
        return Versions(tags, version_keys, read, time.monotonic())

    def fill(self, cache_key, versions, ttl_ms, value):
        """Writes ``value`` (as JSON) under ``cache_key`` if no version in ``versions`` moved since
        they were read and the fill deadline has not passed. Returns whether it was written:
        False is normal under concurrent writes."""
        if time.monotonic() - versions.read_at > self.fill_deadline:
            self.stats.add("fills_rejected")
            return False
        try:
            value_json = json.dumps(value, separators=(",", ":"), default=self.json_default)
        except (TypeError, ValueError) as e:
            raise TypeError(f"value of {cache_key} cannot be written as JSON: {e}") from e
        try:
            written = self.entries.fill(self.redis, cache_key, versions, ttl_ms, value_json)
        except RedisError as e:
            self.stats.add("redis_errors")
            log.warning("cache fill of %s failed: %s", cache_key, e)
            return False
        self.stats.add("fills_accepted" if written else "fills_rejected")
        return written

    def watermark(self):
        """cachepipe's read-your-writes watermark, or -1 if it has none yet."""
        return self._own_writes.watermark()

    def _reached(self, token, max_wait):
        try:
            return self._own_writes.reached(token, max_wait)
        except RedisError as e:
            self.stats.add("redis_errors")
            log.warning("watermark unreadable, reading %s past the cache: %s", token, e)
            return False

    def close(self):
        self.redis.close()


def _text(value):
    return value.decode() if isinstance(value, bytes) else value


def _is_cluster(redis):
    try:
        from redis.cluster import RedisCluster
    except ImportError:  # a redis-py without cluster support
        return False
    return isinstance(redis, RedisCluster)
