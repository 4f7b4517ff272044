import hashlib
from pathlib import Path

import pytest

from cachepipe_client import ENV_SCRIPTS_DIR, LuaScript
from cachepipe_client.scripts import scripts_dir

REPOSITORY_SCRIPTS = (
    Path(__file__).resolve().parents[3] / "redis/src/main/resources/io/cachepipe/redis"
)


def test_scripts_are_the_repositorys_files_byte_for_byte():
    script = LuaScript.named("fenced_fill.lua")
    assert script.path == REPOSITORY_SCRIPTS / "fenced_fill.lua"
    assert script.sha == hashlib.sha1((REPOSITORY_SCRIPTS / "fenced_fill.lua").read_bytes()).hexdigest()


def test_a_script_redis_forgot_is_sent_again(r):
    script = LuaScript.named("fenced_tag.lua")
    r.script_flush()
    assert r.script_exists(script.sha) == [False]
    assert script.run(r, ["cp:tag:{t}:v"], ["0", "cp:x:1", 1000]) == 1
    assert r.script_exists(script.sha) == [True]
    assert script.run(r, ["cp:tag:{t}:v"], ["1", "cp:x:1", 1000]) == 0


def test_the_scripts_directory_can_be_named_by_argument_or_environment(tmp_path, monkeypatch):
    (tmp_path / "fenced_fill.lua").write_bytes(b"return 7\n")
    assert LuaScript.named("fenced_fill.lua", tmp_path).source == b"return 7\n"
    monkeypatch.setenv(ENV_SCRIPTS_DIR, str(tmp_path))
    assert scripts_dir() == tmp_path


def test_a_missing_scripts_directory_names_the_variable_to_set(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_SCRIPTS_DIR, str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match=ENV_SCRIPTS_DIR):
        scripts_dir()
