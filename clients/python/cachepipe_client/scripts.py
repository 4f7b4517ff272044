"""cachepipe's Lua scripts, run from the repository's resource files as they are, byte for byte.

They are never copied into this package: their SHA1 digests must match the ones cachepipe's Java
parts load, and a fix to a script must reach every client. They are found relative to this
package (``clients/python`` in the cachepipe repository), or in the directory named by the
``scripts_dir`` argument or the ``CACHEPIPE_SCRIPTS_DIR`` environment variable.
"""

import hashlib
import os
from pathlib import Path

from redis.exceptions import NoScriptError

ENV_SCRIPTS_DIR = "CACHEPIPE_SCRIPTS_DIR"

_REPOSITORY_SCRIPTS = (
    Path(__file__).resolve().parents[3] / "redis/src/main/resources/io/cachepipe/redis"
)


def scripts_dir(override=None):
    """Where the scripts are: ``override``, else ``$CACHEPIPE_SCRIPTS_DIR``, else the
    repository's ``redis/src/main/resources/io/cachepipe/redis``."""
    chosen = override or os.environ.get(ENV_SCRIPTS_DIR) or _REPOSITORY_SCRIPTS
    path = Path(chosen)
    if not path.is_dir():
        source = (
            "the scripts_dir argument"
            if override
            else ENV_SCRIPTS_DIR
            if os.environ.get(ENV_SCRIPTS_DIR)
            else "the repository layout"
        )
        raise FileNotFoundError(
            f"cachepipe's Lua scripts are not in {path} (from {source}): expected a directory"
            f" holding fenced_fill.lua and fenced_tag.lua; set {ENV_SCRIPTS_DIR} to"
            " redis/src/main/resources/io/cachepipe/redis of a cachepipe checkout"
        )
    return path


class LuaScript:
    """One script: its bytes and their SHA1 digest. Runs with EVALSHA; a NOSCRIPT reply (Redis
    restarted or flushed its scripts, or a cluster node never saw it) is answered with EVAL,
    which runs the script and caches it there again."""

    def __init__(self, path):
        self.path = Path(path)
        self.source = self.path.read_bytes()
        self.sha = hashlib.sha1(self.source).hexdigest()

    @classmethod
    def named(cls, name, directory=None):
        return cls(scripts_dir(directory) / name)

    def run(self, redis, keys, args):
        try:
            return redis.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            return redis.eval(self.source, len(keys), *keys, *args)

    def __repr__(self):
        return f"LuaScript({self.path.name}, sha1={self.sha})"
