"""Attacks on the per-user cache by whoever can write into its directory (a
`$HANDSHAKE_CACHE_DIR` on a shared disk, a folder of it created by someone else): every entry
is sealed by this user's secret, and a sealed entry is trusted only under the key it was
written for. An entry moved or copied to another key is a miss, so a tampered commit never
borrows the clean result of an earlier one."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from hostile_repo import corpus_dir, materialize
from publisher.cli import main as cli_main

AT = "2026-11-23T12:00:00Z"
GIT = ["git", "-c", "user.name=Cache Test", "-c", "user.email=cache@example.invalid", "-c", "commit.gpgsign=false"]
TAMPERED = "genesis-tampered-na-key"


def git(repo: Path, *args: str) -> str:
    run = subprocess.run([*GIT, *args], cwd=repo, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        pytest.fail(f"git {' '.join(args)} failed: {run.stderr[-500:]}", pytrace=False)
    return run.stdout.strip()


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """The baseline (verifies clean) committed, then a commit with alpha's genesis tampered."""
    repo = materialize(tmp_path / "repo")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "baseline")
    overlay = corpus_dir() / "attacks" / TAMPERED
    for path in overlay.rglob("*"):
        if path.is_file():
            shutil.copyfile(path, repo / path.relative_to(overlay))
    git(repo, "commit", "-qam", "tampered")
    return repo


def codes(repo: Path, rev: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    status = cli_main(["verify", str(repo), "--rev", rev, "--at", AT, "--format", "json",
                       "--no-history", "--jobs", "1"])
    out, _ = capsys.readouterr()
    found = sorted(f["code"] for f in json.loads(out)["findings"])
    assert status == (1 if found else 0)
    return found


def entries(cache: Path, kind: str) -> set[Path]:
    return {p for p in (cache / kind).rglob("*") if p.is_file()}


@pytest.mark.parametrize("kind", ["snapshot", "folder"])
def test_an_entry_moved_to_another_key_is_not_trusted(history: Path, tmp_path: Path, kind: str,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """The clean commit's entries are copied over the tampered commit's: the whole verification
    (snapshot) or alpha's folder result (folder). The tampered commit still fails."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("HANDSHAKE_CACHE_DIR", str(cache))
    assert codes(history, "HEAD~1", capsys) == []
    clean = {k: entries(cache, k) for k in ("snapshot", "snapshot-payloads", "folder")}
    expected = codes(history, "HEAD", capsys)
    assert "sig.invalid" in expected
    fresh = {k: entries(cache, k) - clean[k] for k in clean}
    if kind == "snapshot":
        for k in ("snapshot", "snapshot-payloads"):
            (old,), (new,) = clean[k], fresh[k]
            shutil.copyfile(old, new)
        assert codes(history, "HEAD", capsys) == expected
        return
    for k in ("snapshot", "snapshot-payloads"):      # no whole-run answer: each folder is looked up
        for path in clean[k] | fresh[k]:
            path.unlink()
    (new,) = fresh["folder"]
    assert len(clean["folder"]) == 2
    for old in sorted(clean["folder"]):              # alpha's clean result is one of the two
        shutil.copyfile(old, new)
        assert codes(history, "HEAD", capsys) == expected


def test_a_cache_directory_others_can_write_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries are sealed with this user's secret, so a directory shared with others serves no one
    else; one they can write lets them replace its folders between a check and a write."""
    from publisher.cache import open_cache

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("HANDSHAKE_CACHE_DIR", str(shared))
    assert open_cache(tmp_path) is None
    shared.chmod(0o755)
    assert open_cache(tmp_path) is not None


def test_a_cache_directory_writable_by_this_users_own_group_is_used(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """umask 002 with a private group per user (Debian's default) makes every new directory
    group-writable; only another group's members could write into it. The primary group is
    taken as private here (whether this machine's is, the next tests decide)."""
    import os

    from publisher import cache
    from publisher.cache import open_cache

    monkeypatch.setattr(cache, "_private_group", lambda gid: gid == os.getgid())
    own = tmp_path / "own-group"
    own.mkdir()
    own.chmod(0o775)
    monkeypatch.setenv("HANDSHAKE_CACHE_DIR", str(own))
    assert os.stat(own).st_gid == os.getgid() and open_cache(tmp_path) is not None


@pytest.mark.parametrize(("mode", "group", "usable"), [
    (0o700, "own", True), (0o775, "own", True), (0o770, "other", False), (0o775, "other", False),
    (0o755, "other", True), (0o757, "own", False), (0o777, "own", False)])
def test_which_shared_directories_are_refused(mode: int, group: str, usable: bool,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Writable by others: refused; by its group: only when the group is this user's own
    (taken as private here, whatever this machine's is)."""
    import os
    import stat

    from publisher import cache
    from publisher.cache import private_directory

    monkeypatch.setattr(cache, "_private_group", lambda gid: gid == os.getgid())

    gid = os.getgid() if group == "own" else os.getgid() + 1
    info = os.stat_result((stat.S_IFDIR | mode, 1, 1, 2, os.getuid(), gid, 4096, 0, 0, 0))
    assert private_directory(info) is usable
    someone_else = os.stat_result((stat.S_IFDIR | 0o700, 1, 1, 2, os.getuid() + 1, os.getgid(), 4096, 0, 0, 0))
    assert not private_directory(someone_else)


@pytest.mark.parametrize(("name", "members", "usable"), [
    ("users", [], False), ("me", ["me", "alice"], False), ("me", [], True), ("me", ["me"], True)],
    ids=["a shared primary group", "a group with other members", "a private group", "a private group listing me"])
def test_a_group_writable_directory_is_used_only_when_the_primary_group_is_private(
        monkeypatch: pytest.MonkeyPatch, name: str, members: list[str], usable: bool) -> None:
    """Where every user's primary group is one shared group (`users`, gid 100: SUSE, many
    LDAP sites), a group-writable folder of this user's primary group is writable by all."""
    import grp
    import os
    import pwd
    import stat

    from publisher.cache import private_directory

    real_user = pwd.getpwuid

    def user(uid: int) -> pwd.struct_passwd:
        found = real_user(uid)
        return pwd.struct_passwd(("me", *found[1:])) if uid == os.getuid() else found

    monkeypatch.setattr(pwd, "getpwuid", user)
    monkeypatch.setattr(grp, "getgrgid", lambda gid: grp.struct_group((name, "x", gid, members)))
    info = os.stat_result((stat.S_IFDIR | 0o775, 1, 1, 2, os.getuid(), os.getgid(), 4096, 0, 0, 0))
    assert private_directory(info) is usable


@pytest.mark.parametrize("where", ["sovereigns", "sovereigns/alpha/cache", "sovereigns/new/cache", "trust.lock",
                                   "coalition.json/cache", "link-to-sovereigns/cache"])
def test_a_cache_directory_among_the_trust_paths_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str], where: str) -> None:
    """Entries written under sovereigns/ (or as trust.lock, or through a link into sovereigns/)
    would be listed as trust material by the next run: such a directory is refused with a clear
    error, before anything is written, and the command stops (exit 2)."""
    from publisher.cache import CacheRefused, open_cache

    repo = materialize(tmp_path / "repo")
    (repo / "link-to-sovereigns").symlink_to(repo / "sovereigns")
    before = sorted(p.relative_to(repo) for p in repo.rglob("*"))
    monkeypatch.setenv("HANDSHAKE_CACHE_DIR", str(repo / where))
    with pytest.raises(CacheRefused, match="HANDSHAKE_CACHE_DIR"):
        open_cache(repo)
    status = cli_main(["verify", str(repo), "--at", AT, "--no-history", "--jobs", "1"])
    err = capsys.readouterr().err
    assert status == 2 and "HANDSHAKE_CACHE_DIR" in err and "trust" in err, err
    assert sorted(p.relative_to(repo) for p in repo.rglob("*")) == before


@pytest.mark.parametrize("where", [".handshake-cache", "elsewhere/cache", "sovereigns-cache"])
def test_a_cache_directory_elsewhere_in_the_repository_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               where: str) -> None:
    from publisher.cache import open_cache

    repo = materialize(tmp_path / "repo")
    monkeypatch.setenv("HANDSHAKE_CACHE_DIR", str(repo / where))
    cache = open_cache(repo)
    assert cache is not None and cache.directory == repo / where
