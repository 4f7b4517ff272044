import pytest

from cachepipe_client import keys


@pytest.mark.parametrize(
    "tag, h",
    [("user:42", "user:42"), ("}x", "%7Dx"), ("50%", "50%25"), ("a{b", "a{b"), ("", "%"),
     ("%7D", "%257D"), ("ünï cödé }}", "ünï cödé %7D%7D")],
)
def test_a_tags_hash_tag_is_never_empty_and_holds_no_closing_brace(tag, h):
    assert keys.hash_tag(tag) == h
    assert keys.tag_registry(tag) == "cp:tag:{" + h + "}:keys"
    assert keys.tag_version(tag) == "cp:tag:{" + h + "}:v"
    assert keys.tag_of(keys.tag_registry(tag)) == tag
    assert keys.tag_of(keys.tag_position(tag)) == tag


def test_other_keys_have_no_tag():
    assert keys.tag_of("cp:user_stats:42") is None
    assert keys.tag_of("cp:tag:{a}b}:keys") is None


def test_a_fill_checks_each_tags_version_then_the_epoch():
    assert keys.version_keys(["user:1", "post:2"]) == [
        "cp:tag:{user:1}:v", "cp:tag:{post:2}:v", "cp:{epoch}"]
    assert keys.entry("user_stats", 42) == "cp:user_stats:42"
