"""`handshake cache`: where the cache is and what it holds; clearing removes only what Handshake
wrote (a cleared entry is a miss, never a different answer), follows no link, and `--all`
reaches the caches of other (or deleted) repositories."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from publisher.cache import MAGIC, open_cache
from publisher.cli import main
from publisher.verify import verify_path
from tests.conftest import DEMO_AT


def cache_command(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["cache", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def kinds(described: dict) -> dict[str, int]:
    return {k["kind"]: k["entries"] + k["packs"] for k in described["kinds"]}


def test_shows_and_clears_the_repository_cache(demo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
    shown = cache_command(capsys, str(demo_copy))["cache"]
    assert shown["directory"] == str(demo_copy / ".handshake-cache")
    assert shown["chosen_by"] == ".handshake-cache in the repository"
    assert kinds(shown)["folder"] == 5                       # one result per sovereign folder
    on_disk = [p for p in (demo_copy / ".handshake-cache").rglob("*") if p.is_file()]
    assert shown["files"] == len(on_disk) and shown["bytes"] == sum(p.stat().st_size for p in on_disk)

    cleared = cache_command(capsys, str(demo_copy), "--clear")["cache"]
    assert cleared["files"] == shown["files"] and cleared["bytes"] == shown["bytes"]
    assert (demo_copy / ".handshake-cache").is_dir()            # the folder the user made stays
    assert not [p for p in (demo_copy / ".handshake-cache").rglob("*")]
    assert cache_command(capsys, str(demo_copy))["cache"]["files"] == 0
    again = verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
    assert type(again) is type(first) and again.findings == first.findings   # verified afresh, same answer


def test_text_output_names_the_directory_and_sizes(demo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
    assert main(["cache", str(demo_copy)]) == 0
    text = capsys.readouterr().out
    assert f"cache of {demo_copy}: {demo_copy / '.handshake-cache'} (.handshake-cache in the repository)" in text
    assert "  folder " in text and "holds:" in text


def test_clearing_removes_nothing_handshake_did_not_write(tmp_path: Path, demo_copy: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """$HANDSHAKE_CACHE_DIR may name any folder, a home directory by mistake: files of the
    cache's own shape but not Handshake's bytes, and whatever a link leads to, stay."""
    chosen = tmp_path / "chosen"
    monkeypatch.setenv("HANDSHAKE_CACHE_DIR", str(chosen))
    verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
    outside = tmp_path / "outside"
    (outside / "ab").mkdir(parents=True)
    kept = {
        chosen / "notes.txt": b"my notes",
        chosen / "folder" / "readme": b"not an entry",
        chosen / "photos" / "ab" / "cat.jpg": b"\xff\xd8\xff",
        chosen / "folder" / "ab" / "lookalike": b"HSC",          # shorter than the magic
        outside / "entry": MAGIC + b"someone else's bytes",
        outside / "ab" / "entry": MAGIC + b"someone else's bytes",
    }
    for path, data in kept.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (chosen / "folder" / "cd").mkdir()
    (chosen / "folder" / "cd" / "link").symlink_to(outside / "entry")
    (chosen / "linked").symlink_to(outside, target_is_directory=True)
    # A link named as an entry folder is (two hex digits), one the run did not make: entry
    # folders are named by the keys' hashes, which change with the code.
    lookalike = next(name for name in (f"{i:02x}" for i in range(256)) if not (chosen / "folder" / name).exists())
    (chosen / "folder" / lookalike).symlink_to(outside / "ab", target_is_directory=True)
    cleared = cache_command(capsys, str(demo_copy), "--clear")["cache"]
    assert cleared["files"] > 0
    assert {path: path.read_bytes() for path in kept} == kept
    assert (chosen / "folder" / "cd" / "link").is_symlink() and (chosen / "linked").is_symlink()
    assert not any(p.is_file() and not p.is_symlink() and p.read_bytes().startswith(MAGIC)
                   for p in chosen.rglob("*") if "linked" not in p.parts and lookalike not in p.parts)


def test_all_reaches_other_repositories_caches(tmp_path: Path, demo_copy: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A deleted repository's cache under $XDG_CACHE_HOME stays until `--clear --all`; the
    secret stays with it."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))
    (demo_copy / ".handshake-cache").rmdir()                  # this repository's cache: under XDG too
    gone = tmp_path / "gone"
    shutil.copytree(demo_copy, gone)
    verify_path(gone, at=DEMO_AT, workers=1, cache=open_cache(gone))
    shutil.rmtree(gone)                                      # the repository is deleted; its cache stays
    verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
    repos = tmp_path / "home-cache" / "handshake" / "repos"
    assert len(list(repos.iterdir())) == 2
    listed = cache_command(capsys, str(demo_copy), "--all")
    assert len(listed["others"]) == 1 and listed["others"][0]["files"] > 0
    assert listed["cache"]["chosen_by"] == "under $XDG_CACHE_HOME"
    cleared = cache_command(capsys, str(demo_copy), "--clear", "--all")
    assert cleared["others"][0]["files"] == listed["others"][0]["files"]
    assert [p.name for p in repos.iterdir()] == [Path(cleared["cache"]["directory"]).name]   # its own folder stays
    assert (tmp_path / "home-cache" / "handshake" / "cache.secret").is_file()


def test_caching_off_says_so(demo_copy: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HANDSHAKE_NO_CACHE", "1")
    assert main(["cache", str(demo_copy), "--clear"]) == 0
    assert "caching is off ($HANDSHAKE_NO_CACHE is set)" in capsys.readouterr().out


def test_looking_creates_nothing(tmp_path: Path, demo_copy: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Asking where the cache is makes no cache: no secret, no folder; it names the folder a
    run would use."""
    home = tmp_path / "home-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    (demo_copy / ".handshake-cache").rmdir()
    shown = cache_command(capsys, str(demo_copy), "--all")
    assert not home.exists()
    assert shown["cache"]["chosen_by"] == "under $XDG_CACHE_HOME" and shown["cache"]["files"] == 0
    assert Path(shown["cache"]["directory"]).parent == home / "handshake" / "repos"
    assert shown["others"] == []
    verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
    assert cache_command(capsys, str(demo_copy))["cache"]["directory"] == shown["cache"]["directory"]


def test_a_cache_among_the_trust_paths_is_misuse(demo_copy: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HANDSHAKE_CACHE_DIR", str(demo_copy / "sovereigns" / "cache"))
    assert main(["cache", str(demo_copy), "--clear"]) == 2
    assert "trust path" in capsys.readouterr().err
    assert not (demo_copy / "sovereigns" / "cache").exists()
