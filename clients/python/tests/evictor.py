"""An eviction of one tag as cachepipe's evictor does it (docs/redis-protocol.md, "Evicting a
tag"), through the repository's evict_tag.lua and evict_chunk.lua: what the tests fill against."""

import secrets

from cachepipe_client import keys
from cachepipe_client.scripts import LuaScript

_HEAD = "cp:tag:{"


def evict(redis, tag, position="", chunk=500, cluster=False):
    """Evicts ``tag`` at commit ``position`` ("" = whatever the position, as the flush); returns
    whether it applied. In a cluster the scripts return the entry keys, which live in other
    slots, and they are unlinked here."""
    evict_tag = LuaScript.named("evict_tag.lua")
    evict_chunk = LuaScript.named("evict_chunk.lua")
    h = keys.hash_tag(tag)
    drains = f"{_HEAD}{h}}}:gone"
    reply = evict_tag.run(
        redis,
        [keys.tag_registry(tag), keys.tag_version(tag), keys.tag_position(tag), drains,
         f"{drains}:{secrets.token_hex(8)}"],
        [86_400_000, position, chunk, 0 if cluster else 1],
    )
    applied, d = int(reply[0]), int(reply[1])
    _unlink(redis, reply[2 + d :], cluster)
    for drain in reply[2 : 2 + d]:
        while True:
            left, *entries = evict_chunk.run(
                redis, [drains, drain, keys.tag_registry(tag)], [chunk, 0 if cluster else 1])
            _unlink(redis, entries, cluster)
            if int(left) == 0:
                break
    return applied == 1


def _unlink(redis, entries, cluster):
    if cluster:
        for key in entries:
            redis.unlink(key)
