"""Cached, uncached, single-threaded and threaded verification give the same outcome: the same
findings, the same sovereign models (raw documents included) and the same summary, on the
demo and on a synthetic coalition, before and after the inputs change."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
import sys
import weakref
from pathlib import Path
from typing import Any

import pytest

from publisher import source as source_module
from publisher.cache import open_cache
from publisher.limits import Limits
from publisher.source import Entry, WorktreeSource
from publisher.verify import LazyVerification, Verification, dispatch, verify_path, verify_repository
from tests.conftest import DEMO_AT, REPO_ROOT


def outcome(result: Verification) -> Any:
    return (result.findings, result.summary(), dataclasses.asdict(result.coalition),
            [dataclasses.asdict(s) for s in result.sovereigns])


def all_modes(root: Path, **kwargs: Any) -> dict[str, Any]:
    """Outcome of every execution mode; the cache is cold for 'cached-cold'."""
    store = open_cache(root)
    assert store is not None
    return {
        "uncached-1": outcome(verify_path(root, at=DEMO_AT, workers=1, **kwargs)),
        "uncached-pool": outcome(verify_path(root, at=DEMO_AT, workers=2, **kwargs)),
        "cached-cold": outcome(verify_path(root, at=DEMO_AT, workers=2, cache=store, **kwargs)),
        "cached-warm": outcome(verify_path(root, at=DEMO_AT, workers=2, cache=store, **kwargs)),
        "cached-warm-1": outcome(verify_path(root, at=DEMO_AT, workers=1, cache=store, **kwargs)),
    }


def assert_same(modes: dict[str, Any]) -> None:
    reference = modes["uncached-1"]
    for name, value in modes.items():
        assert value == reference, f"{name} differs from the uncached single-threaded run"


@pytest.fixture
def pool_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """workers=2 runs a process pool even for the 5-sovereign demo."""
    monkeypatch.setattr(dispatch, "PARALLEL_THRESHOLD", 1)


@pytest.fixture
def stamps_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by the test itself are seconds old; let stat stamps count at once."""
    monkeypatch.setattr(source_module, "RACY_NS", 0)


def test_demo_same_in_every_mode(demo_copy: Path, pool_always: None) -> None:
    modes = all_modes(demo_copy)
    assert_same(modes)
    findings, summary = modes["uncached-1"][0], modes["uncached-1"][1]
    assert summary["error"] == 0 and summary["sovereigns"] == 5
    assert {f.code for f in findings} >= {"treaty.expired", "treaty.revoked", "treaty.replaced"}


def test_synthetic_coalition_same_in_every_mode(synthetic_repo: Path, tmp_path: Path, pool_always: None) -> None:
    import shutil
    repo = tmp_path / "repo"
    shutil.copytree(synthetic_repo, repo, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    modes = all_modes(repo)
    assert_same(modes)
    assert modes["uncached-1"][1]["sovereigns"] == 12 and modes["uncached-1"][1]["error"] == 0


def test_warm_run_reads_no_sovereign_file(demo_copy: Path, stamps_trusted: None, monkeypatch) -> None:
    store = open_cache(demo_copy)
    cold = verify_path(demo_copy, at=DEMO_AT, workers=1, cache=store)
    reads: list[str] = []
    original = WorktreeSource.read

    def counting(self: WorktreeSource, path: str) -> bytes:
        reads.append(path)
        return original(self, path)

    monkeypatch.setattr(WorktreeSource, "read", counting)
    warm = verify_path(demo_copy, at=DEMO_AT, workers=1, cache=store)
    assert outcome(warm) == outcome(cold)
    assert [p for p in reads if p.startswith("sovereigns/")] == []


def _treaty_file(root: Path) -> Path:
    return sorted((root / "sovereigns" / "aurora-commons" / "treaties").glob("*.json"))[0]


@pytest.mark.parametrize("keep_mtime", [False, True], ids=["plain-edit", "edit-keeping-size-and-mtime"])
def test_changed_bytes_are_verified_again(demo_copy: Path, stamps_trusted: None, keep_mtime: bool) -> None:
    store = open_cache(demo_copy)
    verify_path(demo_copy, at=DEMO_AT, workers=1, cache=store)
    path = _treaty_file(demo_copy)
    before = path.stat()
    text = path.read_text()
    document = json.loads(text)
    purpose = document["scope"]["claims"]["purpose"]
    tampered = text.replace(json.dumps(purpose), json.dumps(purpose[::-1]), 1)
    assert tampered != text and len(tampered) == len(text)
    path.write_text(tampered)
    if keep_mtime:   # ctime still moves: the stamp notices
        import os
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    cached = verify_path(demo_copy, at=DEMO_AT, workers=1, cache=store)
    uncached = verify_path(demo_copy, at=DEMO_AT, workers=1)
    assert outcome(cached) == outcome(uncached)
    rel = path.relative_to(demo_copy).as_posix()
    assert ("sig.invalid", rel) in {(f.code, f.path) for f in cached.findings}


def test_changed_pin_and_limits_are_part_of_the_key(demo_copy: Path, stamps_trusted: None) -> None:
    store = open_cache(demo_copy)
    verify_path(demo_copy, at=DEMO_AT, workers=1, cache=store)
    lock = json.loads((demo_copy / "trust.lock").read_text())
    other = lock["sovereigns"]["borealis-health"]["root_public_key"]
    lock["sovereigns"]["aurora-commons"]["root_public_key"] = other
    (demo_copy / "trust.lock").write_text(json.dumps(lock, indent=2) + "\n")
    tight = Limits(max_signatures=0)
    for kwargs in ({}, {"limits": tight}):
        cached = verify_path(demo_copy, at=DEMO_AT, workers=1, cache=store, **kwargs)
        uncached = verify_path(demo_copy, at=DEMO_AT, workers=1, **kwargs)
        assert outcome(cached) == outcome(uncached)
    codes = {f.code for f in verify_path(demo_copy, at=DEMO_AT, workers=1, cache=store).findings}
    assert "lock.root_mismatch" in codes


class BlobSource:
    """A git-like source: files in memory, each listed with its git blob id."""

    def __init__(self, root: Path) -> None:
        self.files = {p.relative_to(root).as_posix(): p.read_bytes()
                      for p in sorted(root.rglob("*")) if p.is_file()}
        self.reads: list[str] = []

    def describe(self) -> str:
        return "memory"

    def entries(self, prefix: str = "") -> list[Entry]:
        def blob_id(data: bytes) -> str:
            return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        return [Entry(p, "file", len(d), False, blob_id(d)) for p, d in sorted(self.files.items())
                if p == prefix or p.startswith(prefix.rstrip("/") + "/")]

    def read(self, path: str) -> bytes:
        self.reads.append(path)
        return self.files[path]


def test_blob_ids_are_keys_without_reading(demo_copy: Path, pool_always: None) -> None:
    store = open_cache(demo_copy)
    source = BlobSource(demo_copy)
    cold = verify_repository(source, at=DEMO_AT, workers=2, cache=store)
    source.reads.clear()
    warm = verify_repository(source, at=DEMO_AT, workers=2, cache=store)
    assert outcome(warm) == outcome(cold)
    assert [p for p in source.reads if p.startswith("sovereigns/")] == []
    path = _treaty_file(demo_copy).relative_to(demo_copy).as_posix()
    source.files[path] = source.files[path].replace(b"2026-", b"2025-", 1)
    changed = verify_repository(source, at=DEMO_AT, workers=2, cache=store)
    reference = verify_repository(source, at=DEMO_AT, workers=1)
    assert outcome(changed) == outcome(reference)
    assert outcome(changed) != outcome(cold)


def test_cli_output_identical_with_and_without_cache(demo_copy: Path) -> None:
    def run(*extra: str) -> bytes:
        command = [sys.executable, "-m", "publisher", "verify", str(demo_copy), "--at",
                   "2026-11-23T12:00:00Z", "--format", "json", *extra]
        done = subprocess.run(command, capture_output=True, cwd=REPO_ROOT, check=False)
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout

    reference = run("--no-cache")
    assert run() == reference      # cold cache
    assert run() == reference      # warm cache
    assert any((demo_copy / ".handshake-cache").rglob("*")), "the cache was not written"


def test_unexpected_exception_is_reported_not_raised(demo_copy: Path, monkeypatch) -> None:
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(dispatch, "verify_sovereign", explode)
    result = verify_path(demo_copy, at=DEMO_AT, workers=2, cache=open_cache(demo_copy))
    failures = [f for f in result.findings if f.code == "internal.check_failed"]
    assert len(failures) == 5 and all("RuntimeError: boom" in f.message for f in failures)
    assert not (demo_copy / ".handshake-cache" / "snapshot").exists(), "a failed run is not remembered"


def test_git_commit_source_same_and_remembered(synthetic_repo: Path, tmp_path: Path) -> None:
    """A commit (GitSource) verifies like its checkout; a second run is answered by the
    snapshot found through git ids alone; a new commit is verified again."""
    from publisher.gitsource import GitSource
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(synthetic_repo), str(repo)], check=True)
    store = open_cache(tmp_path / "cache-home")
    reference = verify_path(repo, at=DEMO_AT, workers=1)
    cold = verify_repository(GitSource(repo, "HEAD"), at=DEMO_AT, workers=2, cache=store)
    warm = verify_repository(GitSource(repo, "HEAD"), at=DEMO_AT, workers=2, cache=store)
    assert type(warm).__name__ == "_Remembered"
    assert outcome(cold) == outcome(warm) == outcome(reference)
    treaty = sorted((repo / "sovereigns" / "sov-00002" / "treaties").glob("*.json"))[0]
    treaty.write_text(treaty.read_text().replace('"role:client"', '"role:bridge"'))
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "commit", "-q", "-am", "change a treaty"], check=True)
    changed = verify_repository(GitSource(repo, "HEAD"), at=DEMO_AT, workers=2, cache=store)
    assert type(changed) is Verification
    assert outcome(changed) == outcome(verify_path(repo, at=DEMO_AT, workers=1))
    assert "sig.invalid" in {f.code for f in changed.findings}


def test_cli_rev_matches_the_worktree(synthetic_repo: Path, tmp_path: Path) -> None:
    def run(*extra: str) -> bytes:
        command = [sys.executable, "-m", "publisher", "verify", str(synthetic_repo), "--at",
                   "2026-11-23T12:00:00Z", "--format", "json", *extra]
        env = {**__import__("os").environ, "HANDSHAKE_CACHE_DIR": str(tmp_path / "cache")}
        done = subprocess.run(command, capture_output=True, cwd=REPO_ROOT, check=False, env=env)
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout

    reference = run("--no-cache")
    assert run("--rev", "HEAD") == reference
    assert run("--rev", "HEAD") == reference
    assert run("--rev", "main") == reference


@pytest.mark.parametrize("enabled", [True, False])
def test_collector_state_is_restored(demo_copy: Path, enabled: bool) -> None:
    import gc
    (gc.enable if enabled else gc.disable)()
    try:
        verify_path(demo_copy, at=DEMO_AT, workers=1)
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


class _Cyclic:
    """A node in a reference cycle: only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.me = self


def _cycle() -> weakref.ref[_Cyclic]:
    return weakref.ref(_Cyclic())


def test_runs_in_one_process_leave_no_garbage_behind(demo_copy: Path, monkeypatch) -> None:
    """A run pauses the collector and then freezes what it allocated. Garbage made before it (a
    parser, a report) and the cycles it makes itself used to be frozen too, never to be freed:
    a process verifying repeatedly grew by 16-22 KB a run. Garbage from before is collected at
    once; a run's own cycles once enough have piled up (RECLAIM_GROWTH), not at every run."""
    import gc
    from publisher import collector
    from publisher.verify import sovereign as sovereign_module
    gc.unfreeze()
    gc.collect()
    gc.enable()
    monkeypatch.setattr(collector, "_survivors", [0])
    monkeypatch.setattr(collector, "RECLAIM_GROWTH", 0)
    # A freeze takes the whole heap, the test process's too: past 2,900 tests that is more than
    # RECLAIM_AT_MOST objects, which the collector rightly takes for a live model and leaves be.
    monkeypatch.setattr(collector, "RECLAIM_AT_MOST", len(gc.get_objects()) + collector.RECLAIM_AT_MOST)
    inside: list[weakref.ref[_Cyclic]] = []
    original = sovereign_module.verify_sovereign

    def making_a_cycle(*args, **kwargs):
        inside.append(_cycle())           # garbage the run itself makes
        return original(*args, **kwargs)

    monkeypatch.setattr("publisher.verify.dispatch.verify_sovereign", making_a_cycle)
    try:
        before = _cycle()                 # garbage when the run starts
        verify_path(demo_copy, at=DEMO_AT, workers=1, cache=None)
        assert before() is None
        assert inside and all(ref() is not None for ref in inside)   # frozen with the run, for now
        frozen = gc.get_freeze_count()
        verify_path(demo_copy, at=DEMO_AT, workers=1, cache=None)
        assert inside[0]() is None        # the next run gave them back to the collector
        for _ in range(5):
            verify_path(demo_copy, at=DEMO_AT, workers=1, cache=None)
        assert gc.get_freeze_count() < 2 * frozen                    # no growth run after run
        monkeypatch.setattr(collector, "RECLAIM_GROWTH", 10**9)      # a few objects: no full scan
        inside.clear()
        verify_path(demo_copy, at=DEMO_AT, workers=1, cache=None)
        verify_path(demo_copy, at=DEMO_AT, workers=1, cache=None)
        assert inside[0]() is not None
    finally:
        gc.unfreeze()
        gc.enable()


def test_a_pause_that_does_not_reclaim_never_counts_the_frozen_objects(monkeypatch) -> None:
    """A page worker inherits its builder's frozen model: counting it walks every object (0.1-0.3 s
    a chunk, measured). `reclaim=False` skips the count, and still collects the garbage made
    before the block, pauses, freezes what the block kept and turns the collector back on."""
    import gc
    from publisher import collector

    def counted() -> int:
        raise AssertionError("gc.get_freeze_count walked the frozen objects")

    gc.collect()
    before = _cycle()
    monkeypatch.setattr(gc, "get_freeze_count", counted)
    try:
        with collector.paused(reclaim=False):
            assert before() is None and not gc.isenabled()
            kept = _Cyclic()
        assert gc.isenabled()
        assert not any(o is kept for o in gc.get_objects())     # frozen: no collection scans it
    finally:
        gc.unfreeze()
    with pytest.raises(AssertionError, match="walked"):
        with collector.paused():
            pass
    assert gc.isenabled()


def test_an_exception_in_the_checks_across_folders_is_reported_and_never_remembered(demo_copy: Path,
                                                                                    monkeypatch) -> None:
    """The coalition stage sees every folder at once, so it had no boundary: a recognized issuer
    whose sovereign_id was a list raised TypeError out of `handshake verify` (found by fuzzing
    review). Any exception there is now `internal.check_failed`, the folders' findings stay, and
    the failed run leaves no snapshot behind to answer the next one."""
    from publisher.verify import coalition
    folder = next(p for p in sorted((demo_copy / "sovereigns").iterdir()) if p.is_dir())
    (folder / "notes.txt").write_text("a file no Genesis Mesh document is named\n")   # a folder's own finding
    normal = verify_path(demo_copy, at=DEMO_AT, workers=1, cache=None)
    assert any(f.path.endswith("/notes.txt") for f in normal.findings)
    store = open_cache(demo_copy)

    def broken(*args, **kwargs):
        raise TypeError("unhashable type: 'list'")

    with monkeypatch.context() as patch:
        patch.setattr(coalition, "check_cross_references", broken)
        failed = verify_path(demo_copy, at=DEMO_AT, workers=1, cache=store)
    internal = [f for f in failed.findings if f.code == "internal.check_failed"]
    assert [(f.path, f.message) for f in internal] == [
        ("sovereigns", "coalition checks: TypeError: unhashable type: 'list'")]
    assert not failed.ok
    rest = [f for f in failed.findings if f.code != "internal.check_failed"]
    assert rest and set(rest) <= set(normal.findings)
    again = verify_path(demo_copy, at=DEMO_AT, workers=1, cache=store)
    assert again.findings == normal.findings


def test_bytes_that_change_after_listing_are_not_cached_under_the_old_digest(
        demo_copy: Path, stamps_trusted: None, tmp_path: Path, monkeypatch) -> None:
    """A file rewritten between the listing (whose stat stamps say 'unchanged, digest D') and
    the read for verification must not leave its result stored under D."""
    import shutil
    store = open_cache(demo_copy)
    verify_path(demo_copy, at=DEMO_AT, workers=1, cache=store)         # stamps -> digests recorded
    limits = Limits(max_signatures=15)                                  # folder keys miss, stamps hit
    rel = _treaty_file(demo_copy).relative_to(demo_copy).as_posix()
    original = WorktreeSource.read

    def racing(self: WorktreeSource, path: str) -> bytes:
        data = original(self, path)
        return data.replace(b"2026-", b"2025-", 1) if path == rel else data

    monkeypatch.setattr(WorktreeSource, "read", racing)
    verify_path(demo_copy, at=DEMO_AT, workers=1, cache=store, limits=limits)
    monkeypatch.setattr(WorktreeSource, "read", original)
    copy = tmp_path / "copy"
    shutil.copytree(demo_copy, copy, ignore=shutil.ignore_patterns(".handshake-cache"))
    cached = verify_path(copy, at=DEMO_AT, workers=1, cache=store, limits=limits)
    assert outcome(cached) == outcome(verify_path(copy, at=DEMO_AT, workers=1, limits=limits))


def test_unchanged_folders_are_not_read_when_only_a_root_file_changed(demo_copy: Path, stamps_trusted: None,
                                                                      monkeypatch) -> None:
    """coalition.json changes: no snapshot applies, but every folder's digests come from the
    stamp index and its result from the cache, without reading a sovereign file."""
    store = open_cache(demo_copy)
    verify_path(demo_copy, at=DEMO_AT, workers=1, cache=store)
    coalition = json.loads((demo_copy / "coalition.json").read_text())
    coalition["description"] = "changed"
    (demo_copy / "coalition.json").write_text(json.dumps(coalition, indent=2))
    reads: list[str] = []
    original = WorktreeSource.read

    def counting(self: WorktreeSource, path: str) -> bytes:
        reads.append(path)
        return original(self, path)

    monkeypatch.setattr(WorktreeSource, "read", counting)
    again = verify_path(demo_copy, at=DEMO_AT, workers=1, cache=store)
    assert type(again) is Verification
    assert [p for p in reads if p.startswith("sovereigns/")] == []
    monkeypatch.setattr(WorktreeSource, "read", original)
    assert outcome(again) == outcome(verify_path(demo_copy, at=DEMO_AT, workers=1))


def test_a_pooled_run_checks_across_folders_without_loading_a_model(demo_copy: Path, pool_always: None,
                                                                    stamps_trusted: None) -> None:
    """Over worker processes the parent reads each folder's brief (findings, Crossing) and
    time-table part, not its result: the models load only when asked for, and then equal the
    single-process run's, as the findings and the summary already do."""
    reference = verify_path(demo_copy, at=DEMO_AT, workers=1)
    for store in (None, open_cache(demo_copy), open_cache(demo_copy)):
        pooled = verify_path(demo_copy, at=DEMO_AT, workers=2, cache=store)
        assert pooled.findings == reference.findings and pooled.summary() == reference.summary()
        if store is not None:        # without a cache a folder has no part: its model is checked
            assert isinstance(pooled, LazyVerification) and not pooled.models_loaded
        assert outcome(pooled) == outcome(reference)


def test_a_part_that_does_not_reproduce_check_time_is_not_taken(demo_copy: Path, pool_always: None,
                                                                 stamps_trusted: None,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A time-table part whose findings at the run's time are not check_time's (a time check
    timewindows does not mirror) is left out: that folder's model is checked by check_time
    itself, the findings stay the same, and no snapshot is kept."""
    reference = verify_path(demo_copy, at=DEMO_AT, workers=1)
    timed = {"treaty.expired", "treaty.revoked", "treaty.replaced", "treaty.suspended", "treaty.expiring_soon"}
    refused = [s.id for s in reference.sovereigns if any(f.code in timed for f in reference.findings
                                                          if f.path.startswith(f"sovereigns/{s.id}/"))][0]
    taken = dispatch.alone
    monkeypatch.setattr(dispatch, "alone",
                        lambda part, sovereign, at: taken(part, sovereign, at) if sovereign.id != refused else None)
    store = open_cache(demo_copy)
    for workers in (2, 1):
        run = verify_path(demo_copy, at=DEMO_AT, workers=workers, cache=store)
        assert run.findings == reference.findings
        assert type(run).__name__ != "_Remembered", "a run with a part left out was remembered"
