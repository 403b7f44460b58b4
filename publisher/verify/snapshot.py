"""The no-change path: a whole verification remembered under the fingerprint of its input.

Stage: wraps `verify_repository` when a cache is given. The fingerprint covers every byte the
verifier could read (git tree and blob ids from a source that knows them, else the listing
and the stat stamp of every file), the limits and the code version. A snapshot stores every
time-independent finding, the coalition, the cache keys of the per-folder results, and the
time table of publisher.verify.timewindows. On a hit, the time checks are evaluated again at
the new `at` (for each treaty or document either recorded for an interval that contains
`at`, or checked again by `coalition.check_time`). Sovereign models are loaded from the per-folder entries
only when `Verification.sovereigns` is read. A snapshot never changes a finding: a missing
per-folder entry makes the model load fall back to a full verification.
"""
from __future__ import annotations

import dataclasses
import hashlib
import marshal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from collections.abc import Callable, Iterable, Mapping, Sequence

from publisher.cache import Cache, code_version
from publisher.findings import Finding, summarize
from publisher.limits import Limits
from publisher.model import Coalition, Sovereign
from publisher import source as source_module
from publisher.source import Entry, Source
from publisher.verify import dispatch
from publisher.verify.coalition import Crossing
from publisher.verify.timewindows import PayloadsMissing, TimeTable, evaluate
from publisher.timestamps import zulu

@dataclass(frozen=True)
class Snapshot:
    """Everything a repeated verification of the same input needs, except the models."""

    static: tuple[Finding, ...]                  # every finding that check_time does not make
    coalition: Coalition
    folders: tuple[tuple[str, str], ...]         # (sovereign id, per-folder cache key), sorted
    treaty_count: int
    time: TimeTable


def findings_at(remembered: Snapshot, at: datetime, cache: Cache | None = None, key: str = "") -> list[Finding] | None:
    """Every finding of the remembered input at `at`; None when the time table needs its
    payloads (stored apart, see `remember`) and they are gone."""
    def payloads() -> bytes | None:
        return cache.get("snapshot-payloads", key, bytes) if cache is not None else None

    try:
        return [*remembered.static, *evaluate(remembered.time, at, payloads)]
    except PayloadsMissing:
        return None


@dataclass(frozen=True)
class Recalled:
    """What `recall` found: the input's fingerprint (None: it cannot be taken cheaply) and, on
    a hit, the snapshot and its findings at `at`."""

    fingerprint: str | None
    snapshot: Snapshot | None = None
    findings: list[Finding] | None = None


def recall(source: Source, limits: Limits, cache: Cache, at: datetime) -> Recalled:
    """The fingerprint of `source` and the snapshot stored under it, if any.

    Taking a worktree's fingerprint waits on find; meanwhile this thread loads and evaluates
    the snapshot this source had last time (a `latest` entry names it), which is the answer
    whenever nothing changed. The guess only saves time: it is used only when the fingerprint
    taken now is the one it was stored under."""
    latest = latest_key(source, limits)
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(fingerprint, source, limits, None)
        guess = cache.get("latest", latest, str)
        guessed = cache.get("snapshot", guess, Snapshot) if guess else None
        early = findings_at(guessed, at, cache, guess) if guessed is not None and guess else None
        taken = pending.result()
    if taken is None:
        return Recalled(None)
    if taken == guess and guessed is not None:
        return Recalled(taken, guessed, early)
    found = lookup(cache, taken, at)
    return Recalled(taken, *found) if found is not None else Recalled(taken)


def lookup(cache: Cache, key: str, at: datetime) -> tuple[Snapshot, list[Finding]] | None:
    """The snapshot stored under `key` and its findings at `at`; None on a miss (no snapshot,
    or its payloads are needed and gone)."""
    found = cache.get("snapshot", key, Snapshot)
    findings = findings_at(found, at, cache, key) if found is not None else None
    return (found, findings) if found is not None and findings is not None else None


# Every input verified gets a snapshot (13 MB, and 47 MB of payloads, at 10,000 sovereigns):
# an operator who edits and verifies a hundred times would keep 6 GB of them. Only the newest
# few are kept; an older input verified again is verified afresh (its folders from the cache).
KEPT_SNAPSHOTS = 8


def remember(cache: Cache, source: Source, limits: Limits, taken: str, built: Snapshot,
             index: ModelIndex) -> None:
    """Store `built` under its fingerprint, and name it as this source's latest snapshot. The
    time table's payloads (stripped treaties, 80% of the bytes at 10,000 sovereigns) go in an
    entry of their own: a no-change run reads them only when something crossed a deadline; so
    does the models' `index`, which only an authoring command reads.
    Snapshots beyond the newest KEPT_SNAPSHOTS go, with their payloads and index."""
    cache.put("snapshot-payloads", taken, built.time.payloads)
    cache.put("snapshot-index", taken, index)
    cache.put("snapshot", taken, dataclasses.replace(built, time=dataclasses.replace(built.time, payloads=b"")))
    cache.put("latest", latest_key(source, limits), taken)
    cache.keep_newest("snapshot", KEPT_SNAPSHOTS, with_kinds=("snapshot-payloads", "snapshot-index"))


@dataclass(frozen=True)
class ModelIndex:
    """Which sovereigns hold a treaty id or a key, by id (in id order): what an authoring
    command asks of the models (`handshake treaty revoke ID`, `feed revoke --na-key`), kept
    beside a snapshot so that a remembered answer need not load 10,000 models (6 s) for it."""

    treaties: Mapping[str, tuple[str, ...]]      # treaty id -> the sovereigns whose treaties carry it
    root_keys: Mapping[str, tuple[str, ...]]     # root public key -> sovereigns
    na_keys: Mapping[str, tuple[str, ...]]       # current NA public key -> sovereigns

    def holders(self, public_key: str, role: str) -> tuple[str, ...]:
        return (self.root_keys if role == "root" else self.na_keys).get(public_key, ())


def model_index(crossings: Iterable[Crossing]) -> ModelIndex:
    """The ModelIndex of the sovereigns whose Crossings these are; its answers are
    `Verification`'s over their models. One pass building tuples, each sovereign's shared (80
    ms at 10,000 sovereigns; lists turned into tuples afterwards took twice as long)."""
    treaties: dict[str, tuple[str, ...]] = {}
    root_keys: dict[str, tuple[str, ...]] = {}
    na_keys: dict[str, tuple[str, ...]] = {}
    for sovereign in sorted(crossings, key=lambda s: s.id):
        one = (sovereign.id,)
        for _, treaty_id, _, _ in sovereign.treaties:
            issuers = treaties.get(treaty_id)
            if issuers is None:
                treaties[treaty_id] = one
            elif issuers[-1] != sovereign.id:
                treaties[treaty_id] = issuers + one
        if sovereign.root_public_key is not None:
            root_keys[sovereign.root_public_key] = root_keys.get(sovereign.root_public_key, ()) + one
        if sovereign.current is not None:
            na_keys[sovereign.current[1]] = na_keys.get(sovereign.current[1], ()) + one
    return ModelIndex(treaties, root_keys, na_keys)


class RememberedModels:
    """The models of a snapshot's input one at a time, from their per-folder entries, and its
    ModelIndex: an authoring command asks for one sovereign of 10,000, or who holds a treaty or
    a key. Each answer is None when what it needs is gone from the cache; the caller then loads
    every model."""

    def __init__(self, cache: Cache, remembered: Snapshot, key: str) -> None:
        self._cache, self._key = cache, key
        self._folders = dict(remembered.folders)
        self._index: ModelIndex | None = None

    def sovereign(self, sovereign_id: str) -> tuple[Sovereign | None] | None:
        """(the model,) of a folder of the input, (None,) for an id no folder has."""
        key = self._folders.get(sovereign_id)
        if key is None:
            return (None,)
        result = dispatch.cached_result(self._cache, key, sovereign_id)
        return (result.sovereign,) if result is not None else None

    def sovereign_ids(self) -> tuple[str, ...]:
        return tuple(self._folders)

    def index(self) -> ModelIndex | None:
        """The input's ModelIndex (read once: 6 MB at 10,000 sovereigns), or None when gone."""
        if self._index is None:
            found = self._cache.get("snapshot-index", self._key, ModelIndex)
            self._index = found if isinstance(found, ModelIndex) else None
        return self._index


def latest_key(source: Source, limits: Limits) -> str:
    return _digest("latest", source.describe(), limits)


def fingerprint(source: Source, limits: Limits, entries: Sequence[Entry] | None) -> str | None:
    """Digest of every input byte, or None when the source cannot vouch for one cheaply.

    Before listing (`entries` None), a source with a `fingerprint()` method answers: a git
    commit with its tree and blob ids, a worktree with a digest of every path's stat stamps
    taken outside Python (publisher.source.WorktreeSource.fingerprint). After listing, a
    worktree answers from its listing and the stat stamps of its files (none may be racy:
    changed within the last RACY_NS)."""
    if entries is None:
        own = getattr(source, "fingerprint", None)
        value = own() if callable(own) else None
        return None if value is None else _digest("source", value, limits)
    stamps: dict[str, tuple[int, ...]] | None = getattr(source, "stamps", None)
    if stamps is None:
        return None
    horizon = time.time_ns() - source_module.RACY_NS
    listing = []
    for entry in entries:
        stamp = stamps.get(entry.path) if entry.type == "file" else None
        if entry.type == "file" and (stamp is None or stamp[1] >= horizon or stamp[2] >= horizon):
            return None
        listing.append((entry.path, entry.type, entry.size, entry.escapes, stamp))
    return _digest("worktree", (source.describe(), listing), limits)


def _digest(kind: str, value: Any, limits: Limits) -> str:
    h = hashlib.sha256(repr(("snapshot/v2", kind, code_version(), limits)).encode())
    # marshal version 2 writes no back-references, so equal values give equal bytes (the Python
    # version is in code_version); repr of a 190,000-entry listing cost ten times as much.
    h.update(marshal.dumps(value, 2))
    return h.hexdigest()


def load_sovereigns(cache: Cache, snapshot: Snapshot,
                    recompute: Callable[[], tuple[Sovereign, ...]]) -> tuple[Sovereign, ...]:
    """Every model from its per-folder entry, in id order; `recompute()` when one is gone."""
    out = []
    for sovereign_id, key in snapshot.folders:
        result = dispatch.cached_result(cache, key, sovereign_id)
        if result is None:
            return recompute()
        out.append(result.sovereign)
    return tuple(out)


def counts_summary(findings: Sequence[Finding], sovereigns: int, treaties: int, at: datetime,
                   ok: bool) -> dict[str, Any]:
    """Verification.summary() without the models (same keys, same values)."""
    return {**summarize(findings), "sovereigns": sovereigns, "treaties": treaties,
            "evaluated_at": zulu(at), "ok": ok}
