"""Apply a plan to a repository: refuse, verify in memory, write atomically, verify on disk.

    plan -> paths stay in the repository, no symlinks -> no private material (redaction scan,
    no seed of any loaded key) -> never older than what is published (`monotonic`)
    -> verify the repository with the plan overlaid (nothing on disk yet): refuse any new
       error finding and any error on a written file -> write each file (temp file in the same
       folder, fsync, os.replace) -> the verification on disk: the planned one when the disk
       provably holds the plan and nothing else changed (`overlay.disk_holds`), else verified
       afresh; on a new error, restore every file as it was and refuse.

The one tolerated error is `sig.threshold_not_met` on a written file: a k-of-n document
waiting for its next co-signature (`handshake sign`), reported as pending.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from collections.abc import Mapping, Sequence

from publisher.authoring import AuthoringError
from publisher.authoring.monotonic import regressions
from publisher.authoring.overlay import OverlaySource, disk_holds
from publisher.cache import Cache
from publisher.checks.redaction import scan_bytes
from publisher.findings import Finding, has_errors
from publisher.keyfile import looks_like_private_key_file
from publisher.source import WorktreeSource
from publisher.strictjson import Refusal, load_json
from publisher.verify import Verification, verify_repository
from publisher.limits import DEFAULT_LIMITS, for_path
from publisher.layout import LOCK_FILE, ROOT_FILES

PENDING_CODES = frozenset({"sig.threshold_not_met"})
WRITABLE_TOP = ("sovereigns/", "imports/")
WRITABLE_FILES = tuple(ROOT_FILES)     # coalition.json, trust.lock


@dataclass(frozen=True)
class Plan:
    """What an operation wants written (repo-relative POSIX path -> bytes) and why."""

    writes: Mapping[str, bytes]
    summary: tuple[str, ...] = ()
    leak_markers: tuple[bytes, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Outcome:
    written: tuple[str, ...]
    summary: tuple[str, ...]
    verification: Verification
    pending: tuple[Finding, ...]      # threshold findings on written files: signatures awaited
    # Warnings the change caused in files it did not write: another sovereign's treaty now pins
    # a key this NA rotation retired, say. Only that sovereign can act on them.
    elsewhere: tuple[Finding, ...] = ()


def check_path(repo: Path, path: str) -> Path:
    """The absolute target of a repo-relative path; refuses escapes and symlinks on the way."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or "." in pure.parts or not pure.parts:
        raise AuthoringError(f"refused: {path!r} is not a plain repository-relative path")
    if not (path.startswith(WRITABLE_TOP) or path in WRITABLE_FILES):
        raise AuthoringError(f"refused: {path!r} is outside the folders Handshake writes")
    target = repo
    for part in pure.parts:
        target = target / part
        if target.is_symlink():
            raise AuthoringError(f"refused: {target} is a symbolic link; Handshake never writes through one")
    if target.exists() and not target.is_file():
        raise AuthoringError(f"refused: {target} exists and is not a regular file")
    return target


def check_content(path: str, data: bytes, markers: Sequence[bytes]) -> None:
    """Refuse private key material: key files, private-key-named fields, any loaded seed."""
    if looks_like_private_key_file(data) or any(m and m in data for m in markers):
        raise AuthoringError(f"refused: {path} would contain private key material")
    value = load_json(data, for_path(DEFAULT_LIMITS, path)) if path.endswith(".json") or path == LOCK_FILE else None
    parsed = value if value is not None and not isinstance(value, Refusal) else None
    private = [f for f in scan_bytes(path, data, parsed) if f.code == "redaction.private_key"]
    if private:
        raise AuthoringError(f"refused: {path} would contain private key material ({private[0].message})")


def _error_keys(findings: Sequence[Finding]) -> set[tuple[str, str, str]]:
    return {(f.path, f.pointer, f.code) for f in findings if f.severity.value == "error"}


def judge(before: Verification, after: Verification, written: Sequence[str]) -> tuple[list[Finding], list[Finding]]:
    """(blocking findings, pending findings) of a change, comparing verification before and after."""
    old = _error_keys(before.findings)
    touched = set(written)
    blocking, pending = [], []
    for f in after.findings:
        if f.severity.value != "error":
            continue
        if f.path in touched and f.code in PENDING_CODES:
            pending.append(f)
        elif (f.path, f.pointer, f.code) not in old or f.path in touched:
            blocking.append(f)
    return blocking, pending


def _write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".handshake-", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def write_file_atomic(target: Path, data: bytes) -> None:
    """Atomic write of a public file outside a repository (bundle exports)."""
    if target.is_symlink():
        raise AuthoringError(f"refused: {target} is a symbolic link")
    _write_atomic(target, data)


def prepare(repo: Path, plan: Plan) -> dict[str, tuple[Path, bytes | None]]:
    """Every static refusal, before any verification: returns path -> (target, old bytes)."""
    if not plan.writes:
        raise AuthoringError("nothing to write")
    prepared: dict[str, tuple[Path, bytes | None]] = {}
    for path, data in sorted(plan.writes.items()):
        target = check_path(repo, path)
        check_content(path, data, plan.leak_markers)
        old = target.read_bytes() if target.is_file() else None
        if old is not None:
            problems = regressions(path, old, data)
            if problems:
                raise AuthoringError(f"refused: {path}: " + "; ".join(problems))
        prepared[path] = (target, old)
    return prepared


def apply(repo: Path, plan: Plan, *, at: datetime, before: Verification | None = None,
          cache: Cache | None = None) -> Outcome:
    """Write `plan` into `repo` only if verification at `at` gets no worse (module docstring).
    With `cache`, each verification reuses the folders' results it holds (the cache answers as
    a fresh verification does: tests/perf/test_cache_sequences.py)."""
    repo = repo.resolve()
    prepared = prepare(repo, plan)
    before = before or verify_repository(WorktreeSource(repo), at=at, cache=cache)
    written = tuple(sorted(plan.writes))
    overlay = OverlaySource(WorktreeSource(repo), plan.writes)      # its own listing: see disk_holds
    planned = verify_repository(overlay, at=at, cache=cache)
    blocking, _ = judge(before, planned, written)
    if blocking:
        raise AuthoringError("refused: the change would not verify; nothing was written",
                             tuple(blocking))
    done: list[str] = []
    try:
        for path in written:
            _write_atomic(prepared[path][0], plan.writes[path])
            done.append(path)
        after = planned if disk_holds(overlay) else None
        del planned         # its 10,000 models need not live beside another verification's
        if after is None:
            after = verify_repository(WorktreeSource(repo), at=at, cache=cache)
        blocking, pending = judge(before, after, written)
        if blocking:
            raise AuthoringError("refused: the written files did not verify on disk; the previous "
                                 "files were restored", tuple(blocking))
    except BaseException:
        _restore(prepared, done)
        raise
    return Outcome(written, plan.summary, after, tuple(pending), tuple(caused_elsewhere(before, after, written)))


def caused_elsewhere(before: Verification, after: Verification, written: Sequence[str]) -> list[Finding]:
    """The warnings `after` has, and `before` had not, on files outside `written`."""
    old = {(f.path, f.pointer, f.code) for f in before.findings}
    touched = set(written)
    return [f for f in after.findings if f.severity.value == "warning" and f.path not in touched
            and (f.path, f.pointer, f.code) not in old]


def _restore(prepared: Mapping[str, tuple[Path, bytes | None]], done: Sequence[str]) -> None:
    for path in reversed(done):
        target, old = prepared[path]
        if old is None:
            target.unlink(missing_ok=True)
        else:
            _write_atomic(target, old)


__all__ = ["Plan", "Outcome", "OverlaySource", "apply", "caused_elsewhere", "judge", "prepare", "write_file_atomic",
           "has_errors"]
