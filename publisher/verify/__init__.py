"""Verify a Handshake repository: the ordered pipeline, and its one entry point.

    load entries -> trust.lock pins -> per sovereign (threads, time-independent, cached by
      content digest): layout, strict JSON, redaction, genesis, key history, documents, signatures
    -> coalition stage: membership, cross-references, foreign signers, lifecycle at `at`

`verify_repository` never raises on repository content: every problem is a Finding. An
unexpected exception inside one sovereign's checks is caught at that boundary and reported as
`internal.check_failed` on that sovereign, so one hostile folder cannot hide the others; one
in the coalition stage is `internal.check_failed` on `sovereigns`, with the folders' findings
kept and nothing remembered. A commit whose trees git cannot list (corrupt, missing, or holding
an entry git refuses) is one `git.unreadable` finding with nothing verified.
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from publisher import collector, gitrepo
from publisher.cache import Cache, open_cache
from publisher.findings import Finding, finding, has_errors, sort_findings, summarize
from publisher.layout import COALITION_FILE, LOCK_FILE
from publisher.limits import DEFAULT_LIMITS, Limits, for_path, read_bound
from publisher.model import Coalition, Sovereign
from publisher.source import Entry, Source, group_by_sovereign
from publisher.strictjson import Refusal, load_json
from publisher.verify import coalition as stage
from publisher.verify import dispatch, snapshot
from publisher.verify.dispatch import Job, folder_keys, run_jobs
from publisher.verify.timewindows import TimeTable, evaluate, merge
from publisher.verify.sovereign import case_collisions, root_case_collisions, split_undecodable
from publisher.timestamps import zulu


@dataclass(frozen=True)
class Verification:
    """The outcome: the model of every sovereign, the coalition, and every finding, sorted."""

    at: datetime
    coalition: Coalition
    sovereigns: tuple[Sovereign, ...]
    findings: tuple[Finding, ...]
    # (sovereign id, per-folder cache key) in id order, when every model is the cache entry
    # stored under its key: a content address of the models (the key covers the code, the
    # limits, the pin and every entry's bytes), so the site's no-change key need not hash them.
    folder_keys: tuple[tuple[str, str], ...] | None = dataclasses.field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)

    def summary(self) -> dict[str, Any]:
        counts = summarize(self.findings)
        return {**counts, "sovereigns": len(self.sovereigns),
                "treaties": sum(len(s.treaties) for s in self.sovereigns),
                "evaluated_at": zulu(self.at), "ok": self.ok}

    def sovereign(self, sovereign_id: str) -> Sovereign | None:
        return next((s for s in self.sovereigns if s.id == sovereign_id), None)

    def sovereign_ids(self) -> tuple[str, ...]:
        """Every sovereign's id, in order (without loading the models of a remembered answer)."""
        return tuple(s.id for s in self.sovereigns)

    def treaty_issuers(self, treaty_id: str) -> tuple[str, ...]:
        """The ids of the sovereigns whose treaties carry `treaty_id`, in id order."""
        return tuple(s.id for s in self.sovereigns if any(t.treaty_id == treaty_id for t in s.treaties))

    def key_holders(self, public_key: str, role: str) -> tuple[str, ...]:
        """The ids of the sovereigns whose root key (`role` "root") or current NA key ("na")
        `public_key` is, in id order."""
        if role == "root":
            return tuple(s.id for s in self.sovereigns if s.root_public_key == public_key)
        return tuple(s.id for s in self.sovereigns
                     if s.key_history.current is not None and s.key_history.current.public_key == public_key)

    @property
    def sovereign_count(self) -> int:
        """How many sovereigns, without loading the models of a lazy answer."""
        return len(self.sovereigns)

    def with_findings(self, findings: Iterable[Finding]) -> Verification:
        """A copy whose findings are `findings` (deduplicated, sorted). The models are shared; an
        answer from a snapshot still loads them only when they are read."""
        return dataclasses.replace(self, findings=tuple(sort_findings(findings)))


def load_root_json(source: Source, entries: dict[str, Entry], path: str, limits: Limits,
                   out: list[Finding]) -> dict[str, Any] | None:
    """trust.lock or coalition.json as an object, or None (absent, or refused: the refusal
    appended to `out`). Review reads a changed one through this too, and finds what verify finds."""
    entry = entries.get(path)
    if entry is None:
        return None
    if entry.type != "file":
        out.append(not_regular(entry))
        return None
    bound = read_bound(limits, path)
    if entry.size > bound:
        out.append(finding(path, "", "limits.file_too_large", f"{entry.size} bytes; not read"))
        return None
    value = load_json(source.read(path), for_path(limits, path))
    if isinstance(value, Refusal):
        out.append(finding(path, "", value.code, value.message))
        return None
    if not isinstance(value, dict):
        out.append(finding(path, "", "json.not_object", "expected a JSON object"))
        return None
    return value


def not_regular(entry: Entry) -> Finding:
    """The finding for a root file (trust.lock, coalition.json) that is not a regular file: a
    link, a folder, a git submodule."""
    return finding(entry.path, "", "layout.symlink_escape" if entry.escapes else "layout.symlink"
                   if entry.type == "symlink" else "layout.not_regular", "not a regular file; not read")


def loose_findings(loose: Iterable[Entry]) -> list[Finding]:
    """The findings for what lies directly in sovereigns/ (or is sovereigns itself) without
    being a sovereign folder: a file, a link, a git submodule."""
    out = []
    for entry in loose:
        if entry.type == "symlink":
            out.append(finding(entry.path, "", "layout.symlink_escape" if entry.escapes else "layout.symlink",
                               "symbolic link not followed"))
        else:
            out.append(finding(entry.path, "", "layout.unexpected_file",
                               "only sovereign folders belong directly under sovereigns/"))
    return out


def root_files(listed: list[Entry], path: str) -> list[Entry]:
    """The listing of a root file: a directory of that name lists its contents instead, and is
    then one entry that is not a regular file (reported, not taken for a missing file)."""
    if any(e.path != path for e in listed):
        return [Entry(path, "other", 0)]
    return listed


def verify_repository(source: Source, *, at: datetime, limits: Limits = DEFAULT_LIMITS,
                      workers: int | None = None, cache: Cache | None = None) -> Verification:
    """Verify every sovereign under `source` as of `at` (an aware UTC datetime).

    `workers` threads verify folders (default: one per core). With a `cache` (publisher.cache),
    folders whose bytes were verified before are not verified again, and a repeated input is
    answered from its snapshot (publisher.verify.snapshot) with only the time checks re-run.
    Neither changes a finding.
    """
    workers = workers if workers is not None else (os.cpu_count() or 1)
    with collector.paused():
        try:
            return _with_root_names(source, _verify(source, at, limits, workers, cache,
                                                    use_snapshot=cache is not None))
        except gitrepo.GitError as exc:     # a git source's listing: its reads are OSError
            empty = stage.unknown_coalition()
            found = finding("sovereigns", "", "limits.too_many_files", f"{str(exc)[:300]}; nothing was verified") \
                if isinstance(exc, gitrepo.TooManyPaths) else finding(".git", "", "git.unreadable", str(exc)[:300])
            return Verification(at, empty, (), (found,))


def _with_root_names(source: Source, verification: Verification) -> Verification:
    """`verification` with the top-level names that fold to a trust path's (`Sovereigns/`): read
    on every run, one listing of the root, so no remembered answer depends on them."""
    names = getattr(source, "root_names", None)
    found = root_case_collisions(names()) if callable(names) else []
    return verification.with_findings([*verification.findings, *found]) if found else verification


def _verify(source: Source, at: datetime, limits: Limits, workers: int, cache: Cache | None,
            *, use_snapshot: bool) -> Verification:
    """The pipeline: list, verify each folder on its own (cached by its bytes), then the checks
    across folders. With `use_snapshot`, an input seen before is answered from its snapshot;
    a fresh answer is remembered only when the checks across folders completed and every
    folder's result could be cached (nothing unreadable, no internal failure)."""
    fingerprint = None
    if use_snapshot and cache is not None:
        recalled = snapshot.recall(source, limits, cache, at)
        if recalled.snapshot is not None and recalled.findings is not None and recalled.fingerprint is not None:
            return _remembered(source, at, limits, workers, cache, recalled.fingerprint, recalled.snapshot,
                               recalled.findings)
        fingerprint = recalled.fingerprint
    out: list[Finding] = []
    entries = source.entries("sovereigns")
    root_listing = root_files(source.entries(LOCK_FILE), LOCK_FILE) \
        + root_files(source.entries(COALITION_FILE), COALITION_FILE)
    if use_snapshot and fingerprint is None and cache is not None:
        fingerprint = snapshot.fingerprint(source, limits, entries + root_listing)
        hit = snapshot.lookup(cache, fingerprint, at) if fingerprint else None
        if hit is not None and fingerprint is not None:
            return _remembered(source, at, limits, workers, cache, fingerprint, *hit)
    if len(entries) > limits.max_total_files:
        out.append(finding("sovereigns", "", "limits.too_many_files",
                           f"{len(entries)} files (limit {limits.max_total_files}); the rest were not read"))
        entries = entries[: limits.max_total_files]
    root_entries = {e.path: e for e in root_listing}
    lock_raw = load_root_json(source, root_entries, LOCK_FILE, limits, out)
    pins, found = stage.parse_lock(lock_raw)
    out.extend(found)
    coalition_raw = load_root_json(source, root_entries, COALITION_FILE, limits, out)

    entries, refused = split_undecodable(entries)
    out.extend(refused)
    groups, loose = group_by_sovereign(entries)
    out.extend(loose_findings(loose))
    if not groups:
        out.append(finding("sovereigns", "", "layout.no_sovereigns", "no sovereigns/<id>/ folder found"))
    # Sovereign folders and the files beside them; within a folder: its own job.
    out.extend(case_collisions([f"sovereigns/{sid}" for sid in groups] + [entry.path for entry in loose]))
    jobs = [Job(sid, tuple(group), pins.get(sid)) for sid, group in groups.items()]
    outcomes = run_jobs(source, jobs, limits, workers, cache, at)
    crossings = {o.crossing.id: o.crossing for o in outcomes}
    for outcome in outcomes:
        out.extend(outcome.findings)

    try:
        coalition, out = _coalition_stage(out, coalition_raw, lock_raw, pins, crossings)
        table, timed = _time_stage(outcomes, at)
        complete = True
    except Exception as exc:  # boundary: report, never crash (the folders' findings stay)
        coalition, out, table, timed = stage.unknown_coalition(), [*out, stage.stage_failure(exc)], None, []
        complete = False
    keys = folder_keys(jobs, outcomes)       # None unless every folder's result is cached
    treaties = sum(len(o.crossing.treaties) for o in outcomes)
    if complete and fingerprint is not None and cache is not None and table is not None and keys is not None:
        built = snapshot.Snapshot(tuple(out), coalition, keys, treaties, table)
        snapshot.remember(cache, source, limits, fingerprint, built, snapshot.model_index(crossings.values()))
    findings = tuple(sort_findings(out + timed))
    if all(o.loaded is not None for o in outcomes):
        return Verification(at=at, coalition=coalition, sovereigns=_models(outcomes), findings=findings,
                            folder_keys=keys)

    def load() -> tuple[Sovereign, ...]:
        if any(o.result is None for o in outcomes):    # a payload that is not its folder's
            return _verify(source, at, limits, workers, None, use_snapshot=False).sovereigns
        return _models(outcomes)

    return LazyVerification(at, coalition, None, findings, loader=load, counts=(len(outcomes), treaties),
                            folder_keys=keys)


def _models(outcomes: Iterable[dispatch.Outcome]) -> tuple[Sovereign, ...]:
    """The models of `outcomes` whose results are loaded or load, in id order."""
    results = [o.result for o in outcomes]
    return tuple(sorted((r.sovereign for r in results if r is not None), key=lambda s: s.id))


def _coalition_stage(out: list[Finding], coalition_raw: Any, lock_raw: Any, pins: dict[str, str],
                     crossings: dict[str, stage.Crossing]) -> tuple[Coalition, list[Finding]]:
    """The checks across folders that do not depend on the time: (coalition, `out` with their
    findings, a foreign signer's replacing the folder's `sig.invalid`)."""
    coalition, found = stage.build_coalition(coalition_raw, sorted(crossings))
    out = [*out, *found, *stage.check_membership(coalition, crossings),
           *stage.check_lock_coverage(lock_raw is not None, pins, crossings),
           *stage.check_cross_references(crossings)]
    foreign, replaced = stage.check_foreign_signers(crossings.values(), crossings)
    out = [f for f in out if not (f.code == "sig.invalid" and (f.path, f.pointer) in replaced)] + foreign
    return coalition, out


def _time_stage(outcomes: Sequence[dispatch.Outcome], at: datetime) -> tuple[TimeTable | None, list[Finding]]:
    """check_time's findings at `at`: from the folders' tables, each joined alone at `at` where
    the folder was verified, merged here (the table a snapshot keeps; None when a folder has
    none), and from check_time itself on the models of the folders without one."""
    tables, untabled = [], {}
    for outcome in sorted(outcomes, key=lambda o: o.crossing.id):
        table = dispatch.unpickled(outcome.table, TimeTable)
        if table is not None:
            tables.append(table)
        elif (result := outcome.result) is not None:
            untabled[result.sovereign.id] = result.sovereign
        else:          # the parent holds one or the other (dispatch._received): never reached
            raise ValueError(f"{outcome.crossing.id[:80]!r} has neither a time table nor a model")
    merged = merge(tables) if tables else None
    timed = [*(evaluate(merged, at) if merged is not None else ()), *stage.check_time(untabled, at)]
    return (merged if len(tables) == len(outcomes) else None), timed


def _remembered(source: Source, at: datetime, limits: Limits, workers: int, cache: Cache, key: str,
                remembered: snapshot.Snapshot, found: list[Finding]) -> Verification:
    """The verification of an input seen before (its snapshot, stored under `key`), with `found`
    (every finding, the time checks re-run at `at`); the models load from the per-folder entries
    on first use, all of them, or one at a time where a caller asks for one."""
    findings = tuple(sort_findings(found))

    def load() -> tuple[Sovereign, ...]:
        return snapshot.load_sovereigns(cache, remembered, lambda: _verify(
            source, at, limits, workers, cache, use_snapshot=False).sovereigns)

    return _Remembered(at, remembered.coalition, None, findings, loader=load,
                       counts=(len(remembered.folders), remembered.treaty_count), folder_keys=remembered.folders,
                       models=snapshot.RememberedModels(cache, remembered, key))


class LazyVerification(Verification):
    """A Verification whose models are loaded on first use (`loader`): an answer from a
    snapshot, or the build's verification whose site may already be in place. With `counts`
    (sovereigns, treaties), `summary()` does not need the models either. Compares equal to a
    Verification with the same fields, and pickles as one. The fields come in the dataclass's
    order, so `dataclasses.replace` works on it (`sovereigns` is then the models, loaded)."""

    _loaded: tuple[Sovereign, ...] | None
    _loader: Callable[[], tuple[Sovereign, ...]] | None
    _counts: tuple[int, int] | None
    _models: snapshot.RememberedModels | None

    def __init__(self, at: datetime, coalition: Coalition, sovereigns: tuple[Sovereign, ...] | None,
                 findings: tuple[Finding, ...], *, loader: Callable[[], tuple[Sovereign, ...]] | None = None,
                 counts: tuple[int, int] | None = None,
                 folder_keys: tuple[tuple[str, str], ...] | None = None,
                 models: snapshot.RememberedModels | None = None) -> None:
        for name, value in (("at", at), ("coalition", coalition), ("findings", findings),
                            ("_loaded", sovereigns), ("_loader", loader), ("_counts", counts),
                            ("folder_keys", folder_keys), ("_models", models)):
            object.__setattr__(self, name, value)

    @property
    def models_loaded(self) -> bool:
        """True once the models are in memory (asked for, or given)."""
        return self._loaded is not None

    @property
    def sovereigns(self) -> tuple[Sovereign, ...]:
        if self._loaded is None:
            assert self._loader is not None, "a LazyVerification without models needs a loader"
            object.__setattr__(self, "_loaded", self._loader())
        assert self._loaded is not None
        return self._loaded

    def with_findings(self, findings: Iterable[Finding]) -> Verification:
        return type(self)(self.at, self.coalition, self._loaded, tuple(sort_findings(findings)),
                          loader=self._loader, counts=self._counts, folder_keys=self.folder_keys,
                          models=self._models)

    # One model, or who holds a treaty id or a key, from `models` while the models are not
    # loaded; each falls back to loading them all when the cache no longer holds what it needs.
    @property
    def _lookups(self) -> snapshot.RememberedModels | None:
        return self._models if self._loaded is None else None

    def sovereign(self, sovereign_id: str) -> Sovereign | None:
        found = self._lookups.sovereign(sovereign_id) if self._lookups else None
        return found[0] if found is not None else super().sovereign(sovereign_id)

    def sovereign_ids(self) -> tuple[str, ...]:
        return self._lookups.sovereign_ids() if self._lookups else super().sovereign_ids()

    def treaty_issuers(self, treaty_id: str) -> tuple[str, ...]:
        index = self._lookups.index() if self._lookups else None
        return index.treaties.get(treaty_id, ()) if index is not None else super().treaty_issuers(treaty_id)

    def key_holders(self, public_key: str, role: str) -> tuple[str, ...]:
        index = self._lookups.index() if self._lookups else None
        return index.holders(public_key, role) if index is not None else super().key_holders(public_key, role)

    @property
    def sovereign_count(self) -> int:
        return self._counts[0] if self._loaded is None and self._counts is not None else len(self.sovereigns)

    def summary(self) -> dict[str, Any]:
        if self._loaded is not None or self._counts is None:
            return super().summary()
        sovereigns, treaties = self._counts
        return snapshot.counts_summary(self.findings, sovereigns, treaties, self.at, self.ok)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Verification):
            return NotImplemented
        return (self.at, self.coalition, self.sovereigns, self.findings) == \
            (other.at, other.coalition, other.sovereigns, other.findings)

    __hash__ = Verification.__hash__

    def __reduce__(self) -> Any:
        return (Verification, (self.at, self.coalition, self.sovereigns, self.findings))


class _Remembered(LazyVerification):
    """A LazyVerification answered from a snapshot (the name says where an answer came from)."""


def verify_path(root: str | os.PathLike[str], *, at: datetime, use_cache: bool = False,
                **kwargs: Any) -> Verification:
    """`verify_repository` over the files of a directory; `use_cache` opens the repository's
    cache (publisher.cache.open_cache) unless `cache` is given."""
    from publisher.source import WorktreeSource
    if use_cache and "cache" not in kwargs:
        kwargs["cache"] = open_cache(root)
    return verify_repository(WorktreeSource(root), at=at, **kwargs)


__all__ = ["LazyVerification", "Verification", "verify_repository", "verify_path"]
