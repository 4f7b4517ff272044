"""docs/redis-protocol.md is the contract: its examples must be what this client does."""

import re
from pathlib import Path

from cachepipe_client import keys
from cachepipe_client.entries import StandaloneEntries, Versions

DOC = (Path(__file__).resolve().parents[3] / "docs/redis-protocol.md").read_text()


def test_the_docs_hash_tag_table_is_what_the_client_writes():
    rows = re.findall(r"^\| (`[^|]*`|\(empty\)) \| `([^|]*)` \| `([^|]*)` \|$", DOC, re.M)
    assert len(rows) >= 5
    for tag, h, registry in rows:
        tag = "" if tag == "(empty)" else tag.strip("`")
        assert keys.hash_tag(tag) == h
        assert keys.tag_registry(tag) == registry


class Recorder:
    def evalsha(self, sha, numkeys, *keys_and_args):
        self.call = (sha, numkeys, *keys_and_args)
        return 1


def test_the_docs_fenced_fill_example_is_what_the_client_sends():
    example = re.search(r"^EVALSHA <sha1 of fenced_fill.lua> (.*)$", DOC, re.M).group(1).split(" ")
    entries = StandaloneEntries()
    redis = Recorder()
    versions = Versions(["user:42"], keys.version_keys(["user:42"]), ["3", "0"], 0)

    entries.fill(redis, "cp:user_stats:42", versions, 300_000,
                 '{"post_count":4,"total_views":160}')

    assert redis.call[0] == entries.fenced_fill.sha
    assert [str(part) for part in redis.call[1:]] == example
