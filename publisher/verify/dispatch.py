"""Per-sovereign jobs: find the folder's content digest, reuse a cached result, else verify.

Stage: between listing and the coalition stage of `verify_repository`. A folder's key covers
the code version, the limits, the folder id, the pinned root key and every entry (path, type,
size, symlink escape, content digest). The digest is the git blob id when the source lists
one; otherwise the sha256 of the bytes, which a worktree source lets us skip on later runs
through a per-folder stat stamp (size, mtime, ctime, inode, device of every file; files
touched within the last 2 s are "racy" and never stamped, as git does). A cache hit returns
the stored `SovereignResult` without reading or verifying; a miss verifies the bytes already
read for hashing. An unreadable file disables caching for that folder. Fresh results are
stored by the parent alone, through one `Cache.batch`: a cold run writes one pack file.

Beside each result travel its findings and its Crossing (what the checks across folders
read), pickled apart as its brief, and its time-table part joined alone at the run's time
(`timewindows.alone`, in the worker): the parent runs the coalition stage on the briefs and
merges the tables, and unpickles a result (a model: hundreds of objects) only when its model
is asked for. A freshly built part is used only where its findings at the run's time are
check_time's on the model; a folder without a table has its model loaded and checked by
check_time itself.

Large repositories are split over worker processes (fork where available): most of the cost
is Python-level document checking, which threads would serialise on the GIL (measured slower
than one thread); only libsodium releases it. Never raises on repository content; an
unexpected exception is `internal.check_failed` on that folder.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import pickle
import time
from concurrent.futures import ProcessPoolExecutor
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from publisher.cache import Batch, Cache, code_version
from publisher.findings import Finding, finding
from publisher.limits import Limits
from publisher.model import KeyHistory, Sovereign
from publisher import source as source_module
from publisher.source import Entry, Source
from publisher.verify.coalition import Crossing, result_crossing
from publisher.verify.sovereign import SovereignResult, verify_sovereign
from publisher.verify.timewindows import TablePart, alone, join, table_part

T = TypeVar("T")

PARALLEL_THRESHOLD = 64          # folders; below this, a process pool costs more than it saves


@dataclass(frozen=True)
class Outcome:
    """One folder's verification: what the parent reads of every folder (its findings, its
    Crossing, its time-table part) and the result itself, unpickled on first use."""

    crossing: Crossing
    findings: tuple[Finding, ...]
    key: str | None            # None: not cacheable (no cache, unreadable file, internal failure)
    table: bytes | None        # pickled TimeTable of this folder alone at the run's time; None: check the model
    stamp: tuple[str, tuple[str, ...]] | None = None   # (stat-stamp key, digests) to remember
    payload: bytes | None = field(default=None, repr=False)    # the result, pickled
    loaded: SovereignResult | None = field(default=None, repr=False)

    @staticmethod
    def of(result: SovereignResult, key: str | None = None, table: bytes | None = None,
           stamp: tuple[str, tuple[str, ...]] | None = None) -> Outcome:
        """The outcome of a result at hand."""
        return Outcome(result_crossing(result), result.findings, key, table, stamp, loaded=result)

    @property
    def result(self) -> SovereignResult | None:
        """The result, unpickled once; None when its payload does not hold this folder's (the
        caller then verifies afresh)."""
        if self.loaded is None and self.payload is not None:
            object.__setattr__(self, "loaded", _loads(self.payload, self.crossing.id))
        return self.loaded


@dataclass(frozen=True)
class Job:
    sovereign_id: str
    entries: tuple[Entry, ...]
    pin: str | None


# What a worker sends back: the result's pickle, its key, its time-table part, its stamp,
# whether it is fresh (for the parent to store: one writer, one pack), its brief, and its
# table at the run's time.
Shipped = tuple[bytes, "str | None", "bytes | None", "tuple[str, tuple[str, ...]] | None", bool, bytes,
                "bytes | None"]


def _hash(*parts: object) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(repr(part).encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


def folder_key(limits: Limits, job: Job, digests: Sequence[str]) -> str:
    """The content address of one folder's verification result."""
    listing = [(e.path, e.type, e.size, e.escapes, d) for e, d in zip(job.entries, digests, strict=True)]
    return _hash("sovereign/v1", code_version(), limits, job.sovereign_id, job.pin, listing)


def _pickle(value: object) -> bytes:
    return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def _timing(result: SovereignResult, at: datetime) -> tuple[bytes | None, bytes | None]:
    """The pickled time-table part of a fresh result and its table alone at `at`; (None, None)
    when the part cannot be built or does not give check_time's findings at `at` (the folder's
    model is then checked itself and the run keeps no snapshot; nothing else changes)."""
    try:
        part = table_part(result.sovereign)
        table = alone(part, result.sovereign, at)
        return (_pickle(part), _pickle(table)) if table is not None else (None, None)
    except Exception:
        return None, None


def _joined(part: bytes, at: datetime) -> bytes | None:
    """The table of a stored part alone at `at` (pickled); None when it is no TablePart."""
    value = unpickled(part, TablePart)
    return _pickle(join([value], at)) if value is not None else None


def _brief(result: SovereignResult) -> bytes:
    """What the parent reads of every folder: its Crossing and its findings, pickled."""
    return _pickle((result_crossing(result), result.findings))


def _unbrief(data: bytes | None, sovereign_id: str) -> tuple[Crossing, tuple[Finding, ...]] | None:
    """A brief from authenticated or freshly pickled bytes; None when it is not this folder's."""
    try:
        crossing, findings = pickle.loads(data) if data is not None else (None, None)
    except Exception:
        return None
    if isinstance(crossing, Crossing) and crossing.id == sovereign_id and isinstance(findings, tuple) \
            and all(isinstance(f, Finding) for f in findings):
        return crossing, findings
    return None


def unpickled(data: bytes | None, expected: type[T]) -> T | None:
    """`data` (authenticated or freshly pickled bytes) unpickled when it holds an `expected`;
    None for no data, bytes that do not unpickle, or another type."""
    try:
        value = pickle.loads(data) if data is not None else None
    except Exception:
        return None
    return value if isinstance(value, expected) else None


def _loads(payload: bytes, sovereign_id: str) -> SovereignResult | None:
    """A result from authenticated or freshly pickled bytes; None when it is not this folder's."""
    value = unpickled(payload, SovereignResult)
    return value if value is not None and value.sovereign.id == sovereign_id else None


def _entry(cache: Cache, key: str) -> tuple[bytes, bytes | None, bytes] | None:
    """A folder's cache entry: (pickled result, pickled time-table part or None, brief)."""
    payload = cache.get_payload("folder", key)
    if payload is None:
        return None
    try:
        result, part, brief = pickle.loads(payload)   # byte strings: nothing deep is built here
    except Exception:
        return None
    if not isinstance(result, bytes) or not (part is None or isinstance(part, bytes)) or not isinstance(brief, bytes):
        return None
    return result, part, brief


def stored_result(cache: Cache, key: str) -> bytes | None:
    """A folder's stored result as its pickle (authenticated, not loaded), or None."""
    entry = _entry(cache, key)
    return entry[0] if entry is not None else None


def cached_result(cache: Cache, key: str, sovereign_id: str) -> SovereignResult | None:
    """The stored result of a folder, or None."""
    entry = _entry(cache, key)
    return _loads(entry[0], sovereign_id) if entry is not None else None


@dataclass(frozen=True)
class _Produced:
    """What `_Runner._produce` gives: the result (None for a cache hit, which stays bytes), its
    pickle, key, time-table part, stamp, brief, and the part's table alone at the run's time."""

    result: SovereignResult | None
    payload: bytes | None = None
    key: str | None = None
    part: bytes | None = None
    stamp: tuple[str, tuple[str, ...]] | None = None
    brief: bytes | None = None
    table: bytes | None = None


class _Runner:
    """Everything a job needs besides itself: the source, the limits, the cache."""

    def __init__(self, source: Source, limits: Limits, cache: Cache | None, at: datetime) -> None:
        self.source = source
        self.limits = limits
        self.cache = cache
        self.at = at
        self.stamps: Mapping[str, tuple[int, ...]] | None = getattr(source, "stamps", None)
        # A source that shows planned files over a working tree (authoring's OverlaySource)
        # borrows that tree's stamps for the files it does not plan, and its stamp index.
        self.borrowed: str | None = getattr(source, "stamp_root", None)
        self.root = self.borrowed or getattr(source, "describe", lambda: "")()
        self.horizon = time.time_ns() - source_module.RACY_NS
        # One entry per repository maps each folder's stat-stamp key to its digests: one file to
        # read and write per run, not one per folder.
        self.index_key = _hash("stamp-index/v1", self.root)
        index = cache.get("stamps", self.index_key, dict) if cache is not None and self.stamps is not None else None
        self.index: dict[str, tuple[str, ...]] = index or {}
        # The parent's, while run_jobs runs (see keeping). A worker has none: it ships its fresh
        # results and the parent stores them.
        self.batch: Batch | None = None

    def __getstate__(self) -> dict[str, object]:
        """A copy sent to a spawned worker has no batch (the parent's holds an open file and is
        the parent's alone), so it ships its fresh results back instead of storing them."""
        return {**self.__dict__, "batch": None}

    @contextmanager
    def keeping(self) -> Iterator[None]:
        """Store this run's fresh results through one batch: a cold run writes one pack, not a
        file per folder (publisher.cachepack), and the entries are in place when it returns."""
        if self.cache is None:
            yield
            return
        with self.cache.batch("folder") as self.batch:
            yield
        self.batch = None

    def keep(self, key: str, payload: bytes, part: bytes | None, brief: bytes) -> None:
        """Store a fresh result under its folder key in this run's batch (a worker has none)."""
        if self.batch is not None:
            self.batch.add(key, _pickle((payload, part, brief)))

    def read(self, path: str) -> bytes:
        return self.source.read(path)

    def _readable(self, entry: Entry) -> bool:
        return entry.type == "file" and entry.size <= self.limits.max_file_bytes

    def digests(self, job: Job, files: dict[str, bytes]
                ) -> tuple[list[str] | None, tuple[str, tuple[str, ...]] | None]:
        """One digest per entry (None when a file could not be read: no caching then), and the
        (stamp key, digests) pair for the stamp index."""
        if all(e.blob_id for e in job.entries if self._readable(e)):
            return [f"git:{e.blob_id}" if self._readable(e) else "-" for e in job.entries], None
        stamp_key = self._stamp_key(job)
        stored = self.index.get(stamp_key) if stamp_key is not None else None
        if stamp_key is not None and isinstance(stored, tuple) and len(stored) == len(job.entries) \
                and all(isinstance(d, str) for d in stored):
            return list(stored), (stamp_key, stored)
        out = []
        for entry in job.entries:
            if not self._readable(entry):
                out.append("-")
                continue
            try:
                data = files[entry.path] = self.read(entry.path)
            except OSError:
                return None, None
            out.append("sha256:" + hashlib.sha256(data).hexdigest())
        return out, ((stamp_key, tuple(out)) if stamp_key is not None else None)

    def _stamp_key(self, job: Job) -> str | None:
        """Digest of the stat stamps of the folder's files, or None when one is missing or racy."""
        if self.stamps is None:
            return None
        stamps = []
        for entry in job.entries:
            if not self._readable(entry):
                continue
            stamp = self.stamps.get(entry.path)
            if stamp is None or stamp[1] >= self.horizon or stamp[2] >= self.horizon:
                return None
            stamps.append((entry.path, stamp))
        return _hash("stamps/v1", self.root, job.sovereign_id, stamps)

    def run(self, job: Job) -> Outcome:
        """The folder's outcome (from the cache or verified), its key, part and stamp."""
        try:
            produced = self._produce(job)
            if produced.result is not None:
                return Outcome.of(produced.result, produced.key, produced.table, produced.stamp)
            brief = _unbrief(produced.brief, job.sovereign_id)
            result = _loads(produced.payload, job.sovereign_id) if produced.payload is not None else None
            if brief is None or result is None:
                return Outcome.of(self._verified(job, {}))
            return Outcome(*brief, produced.key, produced.table, produced.stamp, loaded=result)
        except Exception as exc:  # boundary: report, never crash (see publisher.verify)
            return Outcome.of(failed(job.sovereign_id, job.pin, exc))

    def ship(self, job: Job) -> Shipped:
        """As `run`, pickled (a worker process sends this): a cache hit is passed on as the stored
        bytes, never unpickled here; a fresh result is pickled once for the cache and the parent."""
        try:
            produced = self._produce(job)
            result = produced.result
            fresh = result is not None and produced.payload is not None and produced.key is not None
            payload = produced.payload if produced.payload is not None else _pickle(result)
            brief = produced.brief if produced.brief is not None else _brief(result) if result is not None else b""
            return payload, produced.key, produced.part, produced.stamp, fresh, brief, produced.table
        except Exception as exc:  # boundary: report, never crash (see publisher.verify)
            result = failed(job.sovereign_id, job.pin, exc)
            return _pickle(result), None, None, None, False, _brief(result), None

    def _produce(self, job: Job) -> _Produced:
        """A cache hit gives only the stored bytes (result None: nothing is unpickled here, unless
        the entry has no time-table part and one is derived) and its part's table at the run's
        time; a fresh result comes with its pickle, brief and table only when it was cached, so
        an in-process run without a cache never pickles at all."""
        files: dict[str, bytes] = {}
        digests, stamp = self.digests(job, files) if self.cache is not None else (None, None)
        key = folder_key(self.limits, job, digests) if digests is not None else None
        if key is not None and self.cache is not None:
            hit = _entry(self.cache, key)
            if hit is not None:
                payload, part, brief = hit
                if part is not None:
                    table = _joined(part, self.at)
                else:
                    stored = _loads(payload, job.sovereign_id)
                    part, table = _timing(stored, self.at) if stored is not None else (None, None)
                return _Produced(None, payload, key, part, stamp, brief, table)
        if key is not None and digests is not None and not self._same_bytes(job, files, digests):
            key, stamp = None, None   # a file changed since it was listed: verify it, remember nothing
        self._prefetch(job, files)
        result = self._verified(job, files)
        if key is None or self.cache is None:
            return _Produced(result)
        payload, brief = _pickle(result), _brief(result)
        part, table = _timing(result, self.at)
        self.keep(key, payload, part, brief)
        return _Produced(result, payload, key, part, stamp, brief, table)

    def _prefetch(self, job: Job, files: dict[str, bytes]) -> None:
        """Read the folder's files in one batch where the source can (a git commit: one cat-file
        round trip per folder instead of one per file); what it leaves out is read one by one."""
        read_many = getattr(self.source, "read_many", None)
        if not callable(read_many):
            return
        wanted = [e.path for e in job.entries if self._readable(e) and e.path not in files]
        if wanted:
            files.update(read_many(wanted, self.limits.max_file_bytes))

    def _same_bytes(self, job: Job, files: dict[str, bytes], digests: Sequence[str]) -> bool:
        """Read (into `files`) what a stat-stamp hit skipped, and check that the bytes about to be
        verified are the ones the key names: a result is never stored under another file's digest."""
        for entry, digest in zip(job.entries, digests, strict=True):
            if not digest.startswith("sha256:") or entry.path in files:
                continue             # not read; read by blob id (content-addressed); or just hashed
            try:
                data = self.read(entry.path)
            except OSError:
                return False
            files[entry.path] = data
            if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
                return False
        return True

    def _verified(self, job: Job, files: dict[str, bytes]) -> SovereignResult:
        def read(path: str) -> bytes:
            data = files.get(path)
            return data if data is not None else self.read(path)

        return verify_sovereign(job.sovereign_id, list(job.entries), read, job.pin, self.limits)

    def remember_stamps(self, outcomes: Sequence[Outcome]) -> None:
        """Write the stamp index of this run's folders (only when it changed; never from a
        source that borrowed it, whose planned folders have no stamps yet)."""
        if self.cache is None or self.stamps is None or self.borrowed is not None:
            return
        index = dict(o.stamp for o in outcomes if o.stamp is not None)
        if index != self.index:
            self.cache.put("stamps", self.index_key, index)


def failed(sovereign_id: str, pin: str | None, exc: BaseException) -> SovereignResult:
    empty = Sovereign(id=sovereign_id, root_public_key=pin, root_source="none", genesis=None,
                      key_history=KeyHistory(()), identity=None, treaties=(), feed=None, roll_call=None,
                      policy_manifest=None, recognition_policy=None)
    return SovereignResult(empty, (finding(f"sovereigns/{sovereign_id}", "", "internal.check_failed",
                                           f"{type(exc).__name__}: {str(exc)[:200]}"),))


def run_jobs(source: Source, jobs: Sequence[Job], limits: Limits, workers: int,
             cache: Cache | None, at: datetime) -> list[Outcome]:
    """One outcome per job, in job order, computed on up to `workers` processes; `at` is the
    time the time-table parts must reproduce check_time at."""
    runner = _Runner(source, limits, cache, at)
    with runner.keeping():
        if workers <= 1 or len(jobs) < PARALLEL_THRESHOLD:
            outcomes = [runner.run(job) for job in jobs]
        else:
            outcomes = _run_processes(runner, jobs, workers)
    runner.remember_stamps(outcomes)
    return outcomes


_WORKER: list[tuple[_Runner, Sequence[Job]]] = []


def _start_worker(runner: _Runner, jobs: Sequence[Job]) -> None:
    # Forked workers inherit the runner and the jobs (nothing is pickled; the pool then sends
    # job indices, not 190,000 entries). They must not share the parent's readers (a git
    # cat-file pipe): a source that holds one gives a fresh copy.
    runner.source = source_module.for_worker(runner.source)
    runner.batch = None
    _WORKER[:] = [(runner, jobs)]


def _process_job(index: int) -> Shipped:
    runner, jobs = _WORKER[0]
    try:
        return runner.ship(jobs[index])
    finally:
        forget = getattr(runner.source, "forget", None)   # a worker's reads are not needed again
        if callable(forget):
            forget()


def _run_processes(runner: _Runner, jobs: Sequence[Job], workers: int) -> list[Outcome]:
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    chunk = max(1, len(jobs) // (workers * 16))
    out: list[Outcome] = []
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                             initargs=(runner, jobs)) as pool:
        shipped = pool.map(_process_job, range(len(jobs)), chunksize=chunk)
        for job, shipment in zip(jobs, shipped, strict=True):
            out.append(_received(runner, job, *shipment))
    return out


def _received(runner: _Runner, job: Job, payload: bytes, key: str | None, part: bytes | None,
              stamp: tuple[str, tuple[str, ...]] | None, fresh: bool, brief: bytes, table: bytes | None) -> Outcome:
    """The outcome of what a worker shipped: the brief is read, the result stays pickled unless
    the folder has no table (its model is then checked by check_time). Anything that is not
    this folder's is verified again here."""
    read = _unbrief(brief, job.sovereign_id)
    loaded = _loads(payload, job.sovereign_id) if table is None else None
    if read is None or (table is None and loaded is None):
        return runner.run(job)
    if fresh and key is not None:
        runner.keep(key, payload, part, brief)
    return Outcome(*read, key, table, stamp, payload=payload, loaded=loaded)


def folder_keys(jobs: Sequence[Job], outcomes: Sequence[Outcome]) -> tuple[tuple[str, str], ...] | None:
    """(sovereign id, per-folder cache key) in id order, when every outcome has a key: the names
    of the models, under which a snapshot loads them and a site's no-change key stands for them."""
    if not all(o.key for o in outcomes):
        return None
    return tuple(sorted((job.sovereign_id, str(o.key)) for job, o in zip(jobs, outcomes, strict=True)))


__all__ = ["Job", "Outcome", "cached_result", "stored_result", "folder_key", "folder_keys", "run_jobs", "failed",
           "unpickled"]
