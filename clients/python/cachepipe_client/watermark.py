"""Read your writes (docs/redis-protocol.md, "Read your writes")."""

import time

from . import keys

#: How often a read waiting for the watermark looks again (seconds), as the Java client.
POLL_SECONDS = 0.0005

#: The largest WAL position cachepipe accepts (2^53 - 1, as the Java side's WalPositions.MAX): the
#: Redis scripts compare positions as Lua numbers, exact only below 2^53.
MAX_POSITION = (1 << 53) - 1


def parse_position(value):
    """The WAL position ``value`` (Redis' bytes or text) holds, or -1 when it is not a decimal
    position in range: a forged or corrupt watermark is never taken as reached."""
    if value is None:
        return -1
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)
    if not text or len(text) > 16 or not all("0" <= c <= "9" for c in text):
        return -1
    position = int(text)
    return position if position <= MAX_POSITION else -1


def write_token(connection):
    """The token of the transaction ``connection`` (a DB-API connection to PostgreSQL, such as
    psycopg's) just committed: a WAL position after that commit. Pass it as ``after=`` to
    ``get_cached_query_result`` to read that write back through the cache.

    Take it on the connection that committed, right after the commit. It also writes a tiny
    non-transactional logical decoding message, so that the change stream reaches the position
    even if nothing else is written; if the role may not, the token still works, only the wait
    may last until the next change or the read's ``max_wait``.
    """
    cursor = connection.cursor()
    try:
        cursor.execute("SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn")
        lsn = int(cursor.fetchone()[0])
        try:
            cursor.execute("SELECT pg_logical_emit_message(false, 'cachepipe', '')")
        except Exception:  # noqa: BLE001 - any refusal only slows the wait down
            connection.rollback()
            return lsn
    finally:
        cursor.close()
    if not getattr(connection, "autocommit", False):
        connection.commit()  # ends the read-only transaction the two statements opened
    return lsn


class WatermarkWait:
    def __init__(self, redis, stats):
        self.redis = redis
        self.stats = stats

    def watermark(self):
        return parse_position(self.redis.get(keys.WATERMARK))

    def reached(self, token, max_wait):
        deadline = time.monotonic() + max_wait
        waited = False
        try:
            while self.watermark() < token:
                if time.monotonic() >= deadline:
                    return False
                waited = True
                time.sleep(POLL_SECONDS)
            return True
        finally:
            if waited:
                self.stats.add("own_write_waits")
