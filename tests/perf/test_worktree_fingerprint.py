"""The worktree fingerprint taken outside Python (WorktreeSource.fingerprint, GNU find): it
changes with every change the verifier could see, ignores what it never reads, refuses to
vouch for files changed within the racy window, and steps aside where find is missing."""
from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from publisher import source as source_module
from publisher.cache import open_cache
from publisher.source import WorktreeSource
from publisher.verify import Verification, verify_path
from tests.conftest import DEMO_AT

TREATIES = Path("sovereigns/aurora-commons/treaties")


@pytest.fixture(autouse=True, params=["one find", "two finds"])
def stamps_trusted(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Files written by the tests are seconds old; let their stat stamps count at once. Every
    test runs with one find over the tree and with the sovereign folders split over two."""
    monkeypatch.setattr(source_module, "RACY_NS", 0)
    monkeypatch.setattr(source_module, "FIND_SPLIT_AT", 1 if request.param == "two finds" else 10**9)


def fingerprint(root: Path) -> tuple[str, str, str]:
    value = WorktreeSource(root).fingerprint()
    assert value is not None, "GNU find is expected on the test machine"
    return value


def _first_treaty(root: Path) -> Path:
    return sorted((root / TREATIES).glob("*.json"))[0]


def _same_size_same_mtime(root: Path) -> None:
    """The sneakiest edit: one byte flipped, size and mtime put back (only ctime moves)."""
    path = _first_treaty(root)
    info = path.stat()
    data = bytearray(path.read_bytes())
    data[-2] = ord("X") if data[-2] != ord("X") else ord("Y")
    path.write_bytes(bytes(data))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def _symlink_swap(root: Path) -> None:
    path = _first_treaty(root)
    path.unlink()
    path.symlink_to("/etc/hostname")


def _fifo(root: Path) -> None:
    os.mkfifo(root / "sovereigns" / "aurora-commons" / "pipe")


def _lock_edit(root: Path) -> None:
    with (root / "trust.lock").open("a") as handle:
        handle.write("\n")


def _rename(root: Path) -> None:
    path = _first_treaty(root)
    path.rename(path.with_name("renamed.json"))


def _new_sovereign_dir(root: Path) -> None:
    (root / "sovereigns" / "zz-new").mkdir()
    (root / "sovereigns" / "zz-new" / "genesis.json").write_text("{}")


MUTATIONS: dict[str, Callable[[Path], None]] = {
    "same size and mtime": _same_size_same_mtime, "symlink swap": _symlink_swap, "fifo": _fifo,
    "trust.lock edit": _lock_edit, "rename": _rename, "new sovereign": _new_sovereign_dir,
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_every_visible_change_moves_the_fingerprint(demo_copy: Path, name: str) -> None:
    before = fingerprint(demo_copy)
    assert fingerprint(demo_copy) == before, "the same tree gives the same fingerprint"
    MUTATIONS[name](demo_copy)
    assert fingerprint(demo_copy) != before


def test_what_is_never_read_does_not_move_it(demo_copy: Path) -> None:
    nested_git = demo_copy / "sovereigns" / "aurora-commons" / ".git"
    nested_git.mkdir()
    (nested_git / "HEAD").write_text("x\n")
    before = fingerprint(demo_copy)
    (demo_copy / "README.md").write_text("edited\n")
    (nested_git / "HEAD").write_text("a longer content\n")
    (nested_git / "config").write_text("[core]\n")
    assert fingerprint(demo_copy) == before


def test_racy_files_are_not_vouched_for(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source_module, "RACY_NS", 10**15)    # everything counts as just written
    assert WorktreeSource(demo_copy).fingerprint() is None


def test_without_find_the_listing_answers(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert WorktreeSource(demo_copy).fingerprint() is None
    first = verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
    again = verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
    assert type(again).__name__ == "_Remembered" and again.findings == first.findings


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_a_change_after_a_remembered_run_is_verified_afresh(demo_copy: Path, name: str) -> None:
    verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
    warm = verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
    assert type(warm).__name__ == "_Remembered"
    MUTATIONS[name](demo_copy)
    again = verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
    assert type(again) is Verification
    assert again.findings == verify_path(demo_copy, at=DEMO_AT, workers=1).findings


def _listing(source: WorktreeSource) -> list[object]:
    return [*source.entries("sovereigns"), *source.entries("trust.lock"), *source.entries("coalition.json")]


@pytest.mark.parametrize("name", ["unchanged", *sorted(MUTATIONS)])
def test_the_listing_from_the_fingerprints_records_is_the_python_listing(demo_copy: Path, name: str,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """After a fingerprint, the trust paths are listed from find's records when they hold only
    files and directories (entries and stat stamps exactly as the Python walk gives them), and
    by the Python walk otherwise (a symbolic link or a pipe: find's records are not used)."""
    if name != "unchanged":
        MUTATIONS[name](demo_copy)
    nested_git = demo_copy / "sovereigns" / "aurora-commons" / ".git"
    nested_git.mkdir()
    (nested_git / "HEAD").write_text("x\n")                      # never listed, either way
    (demo_copy / "sovereigns" / "aurora-commons" / "tab\tand space.json").write_text("{}")
    with open(os.fsencode(demo_copy) + b"/sovereigns/aurora-commons/not-utf8-\xff.json", "wb") as handle:
        handle.write(b"{}")
    walked = WorktreeSource(demo_copy)
    expected = _listing(walked)
    source = WorktreeSource(demo_copy)
    assert source.fingerprint() is not None
    parsed = source_module.parse_find_records(source._found or [])
    special = name in ("symlink swap", "fifo")
    assert (parsed is None) is special
    with monkeypatch.context() as patch:
        if not special:                                          # listed without a single stat
            patch.setattr(os, "scandir", lambda *a: pytest.fail("walked the tree"))
        assert _listing(source) == expected and source.stamps == walked.stamps
    assert {"sovereigns/aurora-commons/tab\tand space.json", "sovereigns/aurora-commons/not-utf8-\udcff.json"} \
        <= {e.path for e in expected}
    assert not [e for e in expected if "/.git/" in e.path]


def test_listing_by_find_takes_racy_files_as_the_walk_lists_them(demo_copy: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """`list_by_find` is for a caller that judges racy stamps itself (an authoring command, just
    after writing): where the fingerprint refuses to vouch, it still lists from find's records,
    entries and stamps exactly as the Python walk gives them."""
    monkeypatch.setattr(source_module, "RACY_NS", 3_600 * 10**9)    # every file changed "just now"
    assert WorktreeSource(demo_copy).fingerprint() is None
    walked = WorktreeSource(demo_copy)
    expected = _listing(walked)
    source = WorktreeSource(demo_copy)
    assert source.list_by_find()
    with monkeypatch.context() as patch:
        patch.setattr(os, "scandir", lambda *a: pytest.fail("walked the tree"))
        assert _listing(source) == expected and source.stamps == walked.stamps
    assert len(expected) > 20


def test_records_that_do_not_parse_are_not_used() -> None:
    good = b"f\0" + b"2\0" + b"1700000000.1234567890\0" * 2 + b"5\0" + b"6\0" + b"\0" + b"sovereigns/a/x.json\0"
    entries, stamps = source_module.parse_find_records([good]) or ([], {})
    assert [(e.path, e.size) for e in entries] == [("sovereigns/a/x.json", 2)]
    assert stamps == {"sovereigns/a/x.json": (2, 1_700_000_000_123_456_789, 1_700_000_000_123_456_789, 5, 6)}
    for bad in (good[:-1], good.replace(b".1234567890", b".123456789"), good.replace(b"f\0", b"l\0", 1),
                good.replace(b"\x005\x00", b"\x00five\x00"), good + good[:10]):
        assert source_module.parse_find_records([bad]) is None
