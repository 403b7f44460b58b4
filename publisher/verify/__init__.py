"""Verify a Handshake repository: the ordered pipeline, and its one entry point.

    load entries -> trust.lock pins -> per sovereign (parallel, time-independent):
      layout, strict JSON, redaction, genesis, key history, documents, signatures
    -> coalition stage: membership, cross-references, foreign signers, lifecycle at `at`

`verify_repository` never raises on repository content: every problem is a Finding. An
unexpected exception inside one sovereign's checks is caught at that boundary and reported as
`internal.check_failed` on that sovereign, so one hostile folder cannot hide the others.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from publisher.findings import Finding, finding, has_errors, sort_findings, summarize
from publisher.limits import DEFAULT_LIMITS, Limits
from publisher.model import Coalition, Sovereign
from publisher.source import Entry, Source, group_by_sovereign
from publisher.strictjson import Refusal, load_json
from publisher.verify import coalition as stage
from publisher.verify.sovereign import SovereignResult, verify_sovereign

PARALLEL_THRESHOLD = 64   # sovereigns; below this a process pool costs more than it saves


@dataclass(frozen=True)
class Verification:
    """The outcome: the model of every sovereign, the coalition, and every finding, sorted."""

    at: datetime
    coalition: Coalition
    sovereigns: tuple[Sovereign, ...]
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)

    def summary(self) -> dict[str, Any]:
        counts = summarize(self.findings)
        return {**counts, "sovereigns": len(self.sovereigns),
                "treaties": sum(len(s.treaties) for s in self.sovereigns),
                "evaluated_at": self.at.strftime("%Y-%m-%dT%H:%M:%SZ"), "ok": self.ok}

    def sovereign(self, sovereign_id: str) -> Sovereign | None:
        return next((s for s in self.sovereigns if s.id == sovereign_id), None)


def _load_root_json(source: Source, entries: dict[str, Entry], path: str, limits: Limits,
                    out: list[Finding]) -> dict[str, Any] | None:
    entry = entries.get(path)
    if entry is None:
        return None
    if entry.type != "file":
        out.append(finding(path, "", "layout.symlink_escape" if entry.escapes else "layout.symlink"
                           if entry.type == "symlink" else "layout.not_regular", "not a regular file; not read"))
        return None
    if entry.size > limits.max_file_bytes:
        out.append(finding(path, "", "limits.file_too_large", f"{entry.size} bytes; not read"))
        return None
    value = load_json(source.read(path), limits)
    if isinstance(value, Refusal):
        out.append(finding(path, "", value.code, value.message))
        return None
    if not isinstance(value, dict):
        out.append(finding(path, "", "json.not_object", "expected a JSON object"))
        return None
    return value


def _verify_one(args: tuple[Source, str, list[Entry], str | None, Limits]) -> SovereignResult:
    source, sovereign_id, entries, pin, limits = args
    try:
        return verify_sovereign(sovereign_id, entries, source.read, pin, limits)
    except Exception as exc:  # boundary: report, never crash (see module docstring)
        from publisher.model import KeyHistory
        empty = Sovereign(sovereign_id, pin, "none", None, KeyHistory(()), None, (), None, None, None)
        return SovereignResult(empty, (finding(f"sovereigns/{sovereign_id}", "", "internal.check_failed",
                                               f"{type(exc).__name__}: {str(exc)[:200]}"),))


def _run(jobs: list[tuple[Source, str, list[Entry], str | None, Limits]], workers: int) -> list[SovereignResult]:
    if workers <= 1 or len(jobs) < PARALLEL_THRESHOLD:
        return [_verify_one(job) for job in jobs]
    chunk = max(1, len(jobs) // (workers * 8))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_verify_one, jobs, chunksize=chunk))


def verify_repository(source: Source, *, at: datetime, limits: Limits = DEFAULT_LIMITS,
                      workers: int | None = None) -> Verification:
    """Verify every sovereign under `source` as of `at` (an aware UTC datetime)."""
    out: list[Finding] = []
    entries = source.entries("sovereigns")
    if len(entries) > limits.max_total_files:
        out.append(finding("sovereigns", "", "limits.too_many_files",
                           f"{len(entries)} files (limit {limits.max_total_files}); the rest were not read"))
        entries = entries[: limits.max_total_files]
    root_entries = {e.path: e for e in source.entries(stage.LOCK_PATH) + source.entries(stage.COALITION_PATH)}
    lock_raw = _load_root_json(source, root_entries, stage.LOCK_PATH, limits, out)
    pins, found = stage.parse_lock(lock_raw)
    out.extend(found)
    coalition_raw = _load_root_json(source, root_entries, stage.COALITION_PATH, limits, out)

    groups = group_by_sovereign(entries)
    for entry in entries:
        if entry.path.count("/") < 2 and entry.type == "symlink":
            out.append(finding(entry.path, "", "layout.symlink_escape" if entry.escapes else "layout.symlink",
                               "symbolic link not followed"))
        elif entry.path.count("/") < 2:
            out.append(finding(entry.path, "", "layout.unexpected_file",
                               "only sovereign folders belong directly under sovereigns/"))
    groups = {sid: [e for e in group if e.path.count("/") >= 2] for sid, group in groups.items()}
    groups = {sid: group for sid, group in groups.items() if group}
    if not groups:
        out.append(finding("sovereigns", "", "layout.no_sovereigns", "no sovereigns/<id>/ folder found"))
    jobs = [(source, sid, group, pins.get(sid), limits) for sid, group in groups.items()]
    results = _run(jobs, workers if workers is not None else (os.cpu_count() or 1))
    sovereigns = {r.sovereign.id: r.sovereign for r in results}
    for result in results:
        out.extend(result.findings)

    coalition, found = stage.build_coalition(coalition_raw, sorted(sovereigns))
    out.extend(found)
    out.extend(stage.check_membership(coalition, sovereigns))
    out.extend(stage.check_lock_coverage(lock_raw is not None, pins, sovereigns))
    out.extend(stage.check_cross_references(sovereigns))
    foreign, replaced = stage.check_foreign_signers(results, sovereigns)
    out = [f for f in out if not (f.code == "sig.invalid" and (f.path, f.pointer) in replaced)] + foreign
    out.extend(stage.check_time(sovereigns, at))
    return Verification(at=at, coalition=coalition,
                        sovereigns=tuple(sovereigns[s] for s in sorted(sovereigns)),
                        findings=tuple(sort_findings(out)))


def verify_path(root: str | os.PathLike[str], *, at: datetime, **kwargs: Any) -> Verification:
    from publisher.source import WorktreeSource
    return verify_repository(WorktreeSource(root), at=at, **kwargs)


__all__ = ["Verification", "verify_repository", "verify_path"]
