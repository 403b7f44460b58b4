"""publisher.cache: entries come back only to the user who wrote them, intact; anything else
is a miss, never an error and never a trusted result."""
from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from publisher import cache as cache_module
from publisher.cache import MAGIC, Cache, code_version, open_cache


def test_round_trip(tmp_path: Path, isolated_cache_home: Path) -> None:
    store = open_cache(tmp_path)
    assert store is not None and isolated_cache_home in store.directory.parents
    assert list(tmp_path.iterdir()) == [], "nothing is written into the repository unasked"
    store.put("sovereign", "ab" * 32, {"value": [1, 2, 3]})
    assert store.get("sovereign", "ab" * 32) == {"value": [1, 2, 3]}
    assert store.get("sovereign", "cd" * 32) is None
    leftovers = [p.name for p in store.directory.rglob(".*")]
    assert leftovers == [], "a temporary file was left behind"


def test_existing_cache_directory_in_the_repository_is_used(tmp_path: Path) -> None:
    (tmp_path / ".handshake-cache").mkdir()
    store = open_cache(tmp_path)
    assert store is not None and store.directory == tmp_path / ".handshake-cache"


def _entry_path(store: Cache, key: str) -> Path:
    return store.directory / "sovereign" / key[:2] / key


@pytest.mark.parametrize("damage", [
    lambda data: data[:-1],                                   # truncated payload
    lambda data: data[:10],                                   # truncated header
    lambda data: data[:-1] + bytes([data[-1] ^ 1]),           # one payload bit flipped
    lambda data: b"XXXX" + data[4:],                          # wrong magic
    lambda data: b"",                                         # empty file
], ids=["truncated", "header-only", "bit-flip", "magic", "empty"])
def test_damaged_entry_is_a_miss_and_is_rewritten(tmp_path: Path, damage) -> None:
    store = open_cache(tmp_path)
    assert store is not None
    key = "0f" * 32
    store.put("sovereign", key, ("result", 1))
    path = _entry_path(store, key)
    path.write_bytes(damage(path.read_bytes()))
    assert store.get("sovereign", key) is None
    store.put("sovereign", key, ("result", 2))
    assert store.get("sovereign", key) == ("result", 2)


@pytest.mark.parametrize("to", [("sovereign", "1e" * 32), ("snapshot", "0f" * 32)], ids=["other-key", "other-kind"])
def test_an_entry_moved_to_another_key_is_a_miss(tmp_path: Path, to: tuple[str, str]) -> None:
    """A sealed entry is this user's, but it answers only the key it was written for: whoever can
    rename files in the cache directory cannot make one input's result stand for another's."""
    store = open_cache(tmp_path)
    assert store is not None
    key = "0f" * 32
    store.put("sovereign", key, ("clean", "result"))
    moved = store.directory / to[0] / to[1][:2] / to[1]
    moved.parent.mkdir(parents=True, exist_ok=True)
    moved.write_bytes(_entry_path(store, key).read_bytes())
    assert store.get(*to) is None
    assert store.get("sovereign", key) == ("clean", "result")


class _Exploding:
    def __reduce__(self):  # what a planted pickle would do when loaded
        return (os.system, ("echo pwned > /dev/null",))


def test_planted_entry_with_another_secret_is_never_unpickled(tmp_path: Path, monkeypatch) -> None:
    """An entry committed to the repository (or written with another user's secret) fails the
    HMAC check before pickle sees it."""
    store = open_cache(tmp_path)
    assert store is not None
    foreign = Cache(store.directory, b"\x01" * 32)
    key = "aa" * 32
    foreign.put("sovereign", key, _Exploding())
    loaded = []
    monkeypatch.setattr(cache_module.pickle, "loads", lambda data: loaded.append(data))
    assert store.get("sovereign", key) is None
    assert loaded == []


def test_unsealed_pickle_is_refused(tmp_path: Path) -> None:
    store = open_cache(tmp_path)
    assert store is not None
    key = "bb" * 32
    path = _entry_path(store, key)
    path.parent.mkdir(parents=True)
    payload = pickle.dumps(("forged", "result"))
    path.write_bytes(MAGIC + b"\0" * 32 + payload)
    assert store.get("sovereign", key) is None


def test_wrong_type_is_a_miss(tmp_path: Path) -> None:
    store = open_cache(tmp_path)
    assert store is not None
    store.put("sovereign", "cc" * 32, "a string")
    assert store.get("sovereign", "cc" * 32, dict) is None
    assert store.get("sovereign", "cc" * 32, str) == "a string"


def test_symlinked_cache_directory_is_not_used(tmp_path: Path) -> None:
    """A repository may commit `.handshake-cache` as a link to elsewhere; it is never followed."""
    repo, elsewhere = tmp_path / "repo", tmp_path / "elsewhere"
    repo.mkdir()
    elsewhere.mkdir()
    (repo / ".handshake-cache").symlink_to(elsewhere)   # is_dir() follows it: refused by lstat
    store = open_cache(repo)
    assert store is not None
    assert store.directory != repo / ".handshake-cache"
    store.put("sovereign", "dd" * 32, 1)
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("link", ["sovereign", "sovereign/dd"], ids=["kind-folder", "key-folder"])
def test_links_committed_inside_the_cache_directory_are_not_written_through(tmp_path: Path, link: str) -> None:
    """A repository may commit `.handshake-cache/` itself, with links inside it to anywhere
    its user can write: entries are stored only in real folders, never through a link."""
    repo, elsewhere = tmp_path / "repo", tmp_path / "elsewhere"
    (repo / ".handshake-cache" / link).parent.mkdir(parents=True)
    elsewhere.mkdir()
    (repo / ".handshake-cache" / link).symlink_to(elsewhere)
    store = open_cache(repo)
    assert store is not None and store.directory == repo / ".handshake-cache"
    store.put("sovereign", "dd" * 32, 1)
    assert list(elsewhere.iterdir()) == []
    assert store.get("sovereign", "dd" * 32) is None
    store.put("verify", "ee" * 32, 2)                      # a kind without a link is still kept
    assert store.get("verify", "ee" * 32) == 2


@pytest.mark.parametrize("planted", ["pipe", "huge"])
def test_an_entry_is_read_only_from_a_regular_file_of_bounded_size(tmp_path: Path, planted: str,
                                                                    monkeypatch) -> None:
    """What a committed `.handshake-cache/` could reach through a link folder: a pipe that never
    answers, a file larger than any entry. Each is a miss, answered at once and never read."""
    import os
    import threading

    from publisher import cache as cache_module

    repo, elsewhere = tmp_path / "repo", tmp_path / "elsewhere"
    (repo / ".handshake-cache" / "sovereign").mkdir(parents=True)
    elsewhere.mkdir()
    (repo / ".handshake-cache" / "sovereign" / "dd").symlink_to(elsewhere)   # a link folder
    key = "dd" * 32
    if planted == "pipe":
        os.mkfifo(elsewhere / key)
    else:
        monkeypatch.setattr(cache_module, "MAX_ENTRY_BYTES", 1024)
        (elsewhere / key).write_bytes(b"x" * 2048)
    store = open_cache(repo)
    assert store is not None
    opened: list[bytes] = []
    monkeypatch.setattr(cache_module.Cache, "_open", lambda self, kind, key, data: opened.append(data))
    box: dict[str, object] = {}
    worker = threading.Thread(target=lambda: box.setdefault("r", store.get_payload("sovereign", key)), daemon=True)
    worker.start()
    worker.join(60)     # a guard against a hang, not a speed assertion
    assert box == {"r": None} and opened == []


def test_cache_can_be_turned_off(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HANDSHAKE_NO_CACHE", "1")
    assert open_cache(tmp_path) is None


def test_explicit_cache_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HANDSHAKE_CACHE_DIR", str(tmp_path / "elsewhere"))
    store = open_cache(tmp_path / "repo")
    assert store is not None and store.directory == tmp_path / "elsewhere"


def test_secret_readable_by_others_disables_the_cache(tmp_path: Path, isolated_cache_home: Path) -> None:
    assert open_cache(tmp_path) is not None
    secret = isolated_cache_home / "handshake" / "cache.secret"
    assert secret.stat().st_mode & 0o777 == 0o600
    secret.chmod(0o644)
    assert open_cache(tmp_path) is None


def test_secret_is_created_once_and_reused(tmp_path: Path, isolated_cache_home: Path) -> None:
    first = open_cache(tmp_path)
    assert first is not None
    first.put("sovereign", "ee" * 32, "kept")
    second = open_cache(tmp_path)
    assert second is not None and second.get("sovereign", "ee" * 32) == "kept"


def test_code_version_is_stable_within_a_process() -> None:
    assert code_version() == code_version()
    assert len(code_version()) == 64
