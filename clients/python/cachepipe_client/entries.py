"""How entries are stored, read back and filled under their tags' fence: one form per kind of
Redis (docs/redis-protocol.md, "Entries" and "Reading and filling")."""

import json

from . import keys
from .scripts import LuaScript


class Versions:
    """The versions a fill is fenced by, read before the value was loaded: one per tag, then the
    epoch's (``"0"`` for a key that does not exist), and when (``time.monotonic()``)."""

    __slots__ = ("tags", "version_keys", "versions", "read_at")

    def __init__(self, tags, version_keys, versions, read_at):
        self.tags = list(tags)
        self.version_keys = list(version_keys)
        self.versions = list(versions)
        self.read_at = read_at


def _text(value):
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


class StandaloneEntries:
    """A Redis server: an entry is its value's JSON; a fill is one call of fenced_fill.lua that
    checks every version, writes the entry and registers it under each tag atomically."""

    def __init__(self, scripts_dir=None):
        self.fenced_fill = LuaScript.named("fenced_fill.lua", scripts_dir)

    def read_versions(self, redis, version_keys):
        return [_text(v) or "0" for v in redis.mget(version_keys)]

    def current(self, redis, stored):
        """The value's JSON text of a stored entry (here: always the entry itself)."""
        return stored

    def fill(self, redis, key, versions, ttl_ms, value_json):
        n = len(versions.version_keys)
        m = len(versions.tags)
        call_keys = [key, *versions.version_keys, *(keys.tag_registry(t) for t in versions.tags)]
        args = [value_json, ttl_ms, n, m, *versions.versions]
        return self.fenced_fill.run(redis, call_keys, args) == 1


class ClusterEntries:
    """A Redis Cluster: an entry and its tags' keys live in different slots. A fill runs
    fenced_tag.lua once per version key, in that key's slot, and writes the entry only if every
    one passed, as ``{"k":[version keys],"v":[versions],"d":value}``; a read is a hit only if
    the versions it carries are still the current ones."""

    def __init__(self, scripts_dir=None):
        self.fenced_tag = LuaScript.named("fenced_tag.lua", scripts_dir)
        self._loaded = False

    def read_versions(self, redis, version_keys):
        return [_text(v) or "0" for v in redis.mget_nonatomic(version_keys)]

    def current(self, redis, stored):
        try:
            entry = json.loads(stored)
        except ValueError as e:
            raise ValueError(f"not JSON: {e}") from e
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("k"), list)
            or not isinstance(entry.get("v"), list)
            or "d" not in entry
            or len(entry["k"]) != len(entry["v"])
        ):
            raise ValueError('not a versioned entry: expected {"k":[..],"v":[..],"d":..}')
        if entry["k"]:
            now = self.read_versions(redis, entry["k"])
            if now != [str(v) for v in entry["v"]]:
                return None
        return json.dumps(entry["d"], separators=(",", ":"))

    def fill(self, redis, key, versions, ttl_ms, value_json):
        self._load_everywhere(redis)
        passed = True
        # One call per slot; each fence must run (and register) even after one failed, as the
        # Java client does: a registration is harmless, and the order carries no meaning.
        for i, version_key in enumerate(versions.version_keys):
            call_keys = [version_key]
            if i < len(versions.tags):
                call_keys.append(keys.tag_registry(versions.tags[i]))
            args = [versions.versions[i], key, ttl_ms]
            passed &= self.fenced_tag.run(redis, call_keys, args) == 1
        if not passed:
            return False
        entry = (
            '{"k":'
            + json.dumps(versions.version_keys, separators=(",", ":"))
            + ',"v":'
            + json.dumps(versions.versions, separators=(",", ":"))
            + ',"d":'
            + value_json
            + "}"
        )
        redis.set(key, entry, px=ttl_ms)
        return True

    def _load_everywhere(self, redis):
        """SCRIPT LOAD on every master once: redis-py's cluster client logs each NOSCRIPT reply
        as an error with its traceback before the EVAL that answers it. A master added later
        still gets the script through that EVAL."""
        if not self._loaded:
            redis.script_load(self.fenced_tag.source)
            self._loaded = True
