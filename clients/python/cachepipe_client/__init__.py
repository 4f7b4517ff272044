"""cachepipe's reference Python client: read-through caching with tags and fenced fills over
cachepipe's Redis protocol (docs/redis-protocol.md in the cachepipe repository)."""

from . import keys
from .scripts import ENV_SCRIPTS_DIR, LuaScript
from .service import CacheStats, CachingService
from .watermark import write_token

__all__ = [
    "CachingService",
    "CacheStats",
    "ENV_SCRIPTS_DIR",
    "LuaScript",
    "keys",
    "write_token",
]
