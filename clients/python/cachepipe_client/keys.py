"""The Redis key scheme of docs/redis-protocol.md ("Keys")."""

PREFIX = "cp:"
_TAG_HEAD = PREFIX + "tag:{"

#: The cache epoch: a version every fill checks, that nothing registers under.
EPOCH = PREFIX + "{epoch}"
#: The read-your-writes watermark: a WAL position before which every change has been evicted.
WATERMARK = PREFIX + "{watermark}"


def entry(kind, ident):
    """An entry's readable key: ``cp:<kind>:<id>`` (``cp:user_stats:42``)."""
    return f"{PREFIX}{kind}:{ident}"


def hash_tag(tag):
    """The text a tag's keys carry between their braces (never empty, never holding a ``}``).

    The empty tag is ``%``; otherwise every ``%`` is written ``%25`` and every ``}`` ``%7D``.
    """
    if tag == "":
        return "%"
    return tag.replace("%", "%25").replace("}", "%7D")


def tag_version(tag):
    """The tag's version: a counter every eviction bumps (missing = ``0``)."""
    return _TAG_HEAD + hash_tag(tag) + "}:v"


def tag_registry(tag):
    """The tag's registry: a sorted set of entry keys scored by their expiry (ms)."""
    return _TAG_HEAD + hash_tag(tag) + "}:keys"


def tag_position(tag):
    """The newest commit position the tag was evicted at."""
    return _TAG_HEAD + hash_tag(tag) + "}:pos"


def tag_of(key):
    """The tag of a registry, position or drain set key, or None for any other key."""
    for tail in ("}:keys", "}:pos", "}:gone"):
        if key.startswith(_TAG_HEAD) and key.endswith(tail):
            text = key[len(_TAG_HEAD) : len(key) - len(tail)]
            if "}" in text:
                return None
            return _unescape(text)
    return None


def _unescape(text):
    if text == "%":
        return ""
    out = []
    i = 0
    while i < len(text):
        if text.startswith("%25", i):
            out.append("%")
            i += 3
        elif text.startswith("%7D", i):
            out.append("}")
            i += 3
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def version_keys(tags):
    """The version keys a fill of an entry under ``tags`` reads and checks: each tag's, then
    the epoch's."""
    return [tag_version(t) for t in tags] + [EPOCH]
