"""The written verification: the planned one when the disk provably holds the plan and
nothing else (publisher.authoring.overlay.disk_holds), else the disk verified afresh."""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from publisher import source as source_module
from publisher.authoring import AuthoringError
from publisher.authoring import writer
from publisher.authoring.overlay import OverlaySource, disk_holds
from publisher.authoring.writer import Plan, apply
from publisher.source import WorktreeSource
from publisher.verify import Verification, verify_repository

WHEN = datetime(2026, 11, 1, 10, tzinfo=UTC)


@pytest.fixture
def stamps_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by the tests are seconds old; let their stat stamps count at once."""
    monkeypatch.setattr(source_module, "RACY_NS", 0)


def _tree(root: Path) -> Path:
    for path, text in {"sovereigns/a/sovereign.json": "{}", "sovereigns/a/keep.json": "[1]",
                       "sovereigns/b/sovereign.json": "{}", "trust.lock": "{}"}.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def _served(root: Path, writes: dict[str, bytes]) -> OverlaySource:
    """An overlay after serving what verification asks of it, with its writes then on disk."""
    overlay = OverlaySource(WorktreeSource(root), writes)
    overlay.entries("sovereigns")
    overlay.entries("trust.lock")
    overlay.entries("coalition.json")
    overlay.read("sovereigns/a/keep.json")
    overlay.root_names()
    for path, data in writes.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    return overlay


def _rewrite(path: Path, text: str) -> None:
    path.write_text(text)


def _same_size_same_mtime(path: Path) -> None:
    """The sneakiest edit: other bytes, size and mtime put back (only ctime moves)."""
    info = path.stat()
    path.write_text("[]")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


CHANGES: dict[str, Callable[[Path], None]] = {
    "another file's bytes, same size": lambda root: _rewrite(root / "sovereigns/b/sovereign.json", "[]"),
    "another file's bytes, size and mtime put back": lambda root: _same_size_same_mtime(
        root / "sovereigns/b/sovereign.json"),
    "a file added": lambda root: _rewrite(root / "sovereigns/b/extra.json", "{}"),
    "a file removed": lambda root: (root / "sovereigns/a/keep.json").unlink(),
    "a written file's bytes": lambda root: _rewrite(root / "sovereigns/a/sovereign.json", '{"y":2}'),
    "a root file": lambda root: _rewrite(root / "trust.lock", "[]"),
    "a root file added": lambda root: _rewrite(root / "coalition.json", "{}"),
    "a top-level name": lambda root: (root / "Sovereigns").mkdir(),
}


def test_the_disk_holds_the_plan_when_nothing_else_changed(tmp_path: Path, stamps_trusted: None) -> None:
    overlay = _served(_tree(tmp_path), {"sovereigns/a/sovereign.json": b'{"x":1}', "sovereigns/c/new.json": b"{}"})
    assert disk_holds(overlay)


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_any_other_change_is_seen(tmp_path: Path, stamps_trusted: None, change: str) -> None:
    overlay = _served(_tree(tmp_path), {"sovereigns/a/sovereign.json": b'{"x":1}'})
    CHANGES[change](tmp_path)
    assert not disk_holds(overlay)


def test_a_stamp_too_young_to_vouch_is_not_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file changed within RACY_NS of being listed may change again without its stamp
    changing (a clock tick): nothing is then proven."""
    monkeypatch.setattr(source_module, "RACY_NS", 3_600 * 10**9)
    overlay = _served(_tree(tmp_path), {"sovereigns/a/sovereign.json": b'{"x":1}'})
    assert not disk_holds(overlay)


def test_a_file_read_but_never_listed_is_not_vouched_for(tmp_path: Path, stamps_trusted: None) -> None:
    overlay = _served(_tree(tmp_path), {"sovereigns/a/sovereign.json": b'{"x":1}'})
    (tmp_path / "elsewhere.json").write_text("{}")
    overlay.read("elsewhere.json")
    assert not disk_holds(overlay)


def test_an_overlay_over_another_source_proves_nothing(tmp_path: Path, stamps_trusted: None) -> None:
    class Plain:
        def __init__(self, inner: WorktreeSource) -> None:
            self.entries, self.read, self.describe = inner.entries, inner.read, inner.describe
    overlay = OverlaySource(Plain(WorktreeSource(_tree(tmp_path))), {"sovereigns/a/sovereign.json": b"{}"})
    overlay.entries("sovereigns")
    assert not disk_holds(overlay)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = writer.verify_repository

    def counted(source: Any, **kwargs: Any) -> Verification:
        calls.append(type(source).__name__)
        return real(source, **kwargs)
    monkeypatch.setattr(writer, "verify_repository", counted)
    return calls


def _renamed(repo: Path) -> Plan:
    identity = json.loads((repo / "sovereigns/alpha/sovereign.json").read_text())
    identity["metadata"]["display_name"] = "Renamed"      # unsigned metadata: still verifies
    return Plan({"sovereigns/alpha/sovereign.json": json.dumps(identity).encode(),
                 "sovereigns/alpha/README.md": b"hello\n"})


def test_the_planned_verification_answers_for_the_disk(two_sovereigns: Path, stamps_trusted: None,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    before = verify_repository(WorktreeSource(two_sovereigns), at=WHEN)
    calls = _counting(monkeypatch)
    outcome = apply(two_sovereigns, _renamed(two_sovereigns), at=WHEN, before=before)
    assert calls == ["OverlaySource"], "the disk holds the plan: no second verification"
    assert outcome.verification == verify_repository(WorktreeSource(two_sovereigns), at=WHEN)


def test_a_file_changed_meanwhile_is_verified_on_disk(two_sovereigns: Path, stamps_trusted: None,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Another writer breaks beta's identity while the command writes alpha's: the planned
    verification no longer stands for the disk, which is verified afresh; the new error
    stops the command and its own files are restored."""
    before = verify_repository(WorktreeSource(two_sovereigns), at=WHEN)
    calls = _counting(monkeypatch)
    real_write = writer._write_atomic
    beta = two_sovereigns / "sovereigns/beta/sovereign.json"
    alpha = two_sovereigns / "sovereigns/alpha/sovereign.json"
    original = alpha.read_bytes()

    def racing(target: Path, data: bytes) -> None:
        real_write(target, data)
        broken = json.loads(beta.read_text())
        broken["network_authority_public_key"] = broken["root_public_key"]
        beta.write_text(json.dumps(broken))
    monkeypatch.setattr(writer, "_write_atomic", racing)
    with pytest.raises(AuthoringError, match="restored") as caught:
        apply(two_sovereigns, _renamed(two_sovereigns), at=WHEN, before=before)
    assert calls == ["OverlaySource", "WorktreeSource"]
    assert any(f.path == "sovereigns/beta/sovereign.json" for f in caught.value.findings)
    assert alpha.read_bytes() == original and not (two_sovereigns / "sovereigns/alpha/README.md").exists()


def test_the_planned_verification_hashes_only_the_planned_folder(two_sovereigns: Path, stamps_trusted: None,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Over a working tree, the overlay lends the tree's stat stamps of the files it does not
    plan and its stamp index: a folder the plan leaves alone is taken from the cache without
    reading a file; the planned folder is hashed from the planned bytes; the tree's stamp
    index is left as the tree's own verification wrote it."""
    from publisher.cache import open_cache
    from publisher.verify import dispatch

    cache = open_cache(two_sovereigns)
    assert cache is not None
    verify_repository(WorktreeSource(two_sovereigns), at=WHEN, cache=cache, workers=1)
    index = sorted((p.name, p.read_bytes()) for p in (cache.directory / "stamps").rglob("*") if p.is_file())
    read: list[str] = []
    real = dispatch._Runner.read
    monkeypatch.setattr(dispatch._Runner, "read", lambda self, path: read.append(path) or real(self, path))
    plan = _renamed(two_sovereigns)
    planned = verify_repository(OverlaySource(WorktreeSource(two_sovereigns), plan.writes), at=WHEN, cache=cache,
                                workers=1)
    assert read and all(path.startswith("sovereigns/alpha/") for path in read), read
    assert sorted((p.name, p.read_bytes()) for p in (cache.directory / "stamps").rglob("*") if p.is_file()) == index
    for path, data in plan.writes.items():
        (two_sovereigns / path).write_bytes(data)
    assert planned == verify_repository(WorktreeSource(two_sovereigns), at=WHEN)
