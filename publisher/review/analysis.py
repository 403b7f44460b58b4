"""Review analysis (pure): documents and findings at two commits -> ranked trust changes.

Input is plain data: for the sovereigns a change touches, path -> parsed document at the base
and at the head, the repository files (coalition.json, trust.lock), and the verification
findings of those sovereigns at both commits. Output: every trust change (the same rules as
the history walk, with the base as memory) plus every finding the head introduces. A renewal's
or replacement's new treaty inherits the info findings of the treaty it succeeds, and a treaty's
revoked or replaced finding is left out where a listed change already ends that treaty: each
says again what a listed change says.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from collections.abc import Iterable, Mapping

from publisher.codes import Severity
from publisher.codes.history import LEVEL_ORDER
from publisher.findings import Finding
from publisher.history.compare import Memory, compare_sovereign
from publisher.history.model import Change, sort_changes
from publisher.layout import LOCK_FILE, ROOT_FILES, split_sovereign_path
from publisher.history.repository import compare_repository, pins
from publisher.history.views import build_view
from publisher.jsonshape import obj, text

# Introduced findings that mean the root of trust itself is wrong, or that a secret leaks.
CRITICAL_FINDINGS = frozenset({
    "lock.root_mismatch", "genesis.root_mismatch", "key.root_unpinned",
    "rotation.chain_break", "rotation.invalid_old_root_signature", "rotation.invalid_new_root_signature",
    "rotation.key_reused", "rotation.sovereign_mismatch",
    # A change that would publish private material is critical whatever else it does: a PR
    # workflow failing only on critical must stop it even before its verify step runs.
    "redaction.private_key", "redaction.secret_field", "redaction.admin_material",
})
_FINDING_LEVEL = {Severity.ERROR: "high", Severity.WARNING: "medium", Severity.INFO: "info"}


@dataclass(frozen=True)
class Review:
    base: str
    head: str
    at: datetime
    changes: tuple[Change, ...]
    changed_paths: int
    sovereigns: tuple[str, ...]
    stats: Mapping[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        found = Counter(c.level for c in self.changes)
        return {level: found.get(level, 0) for level in LEVEL_ORDER}

    def fails(self, level: str | None) -> bool:
        """True when a change is at `level` or more severe (None: never)."""
        if level is None:
            return False
        limit = LEVEL_ORDER.index(level)
        return any(LEVEL_ORDER.index(c.level) <= limit for c in self.changes)


def _folders(documents: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The documents of each sovereign folder, by its id: grouped once, since a change may
    touch every folder (a coalition.json removed reviews 10,000 of them)."""
    out: dict[str, dict[str, Any]] = {}
    for path, value in documents.items():
        parts = split_sovereign_path(path)
        if parts:
            out.setdefault(parts[0], {})[path] = value
    return out


def trust_changes(before: Mapping[str, Any], after: Mapping[str, Any], sovereigns: Iterable[str], *,
                  at: datetime | None, expiring_within: timedelta = timedelta(days=30)) -> list[Change]:
    """Trust changes of `sovereigns` and of the repository files between two document sets.

    `before`/`after` map repo paths to parsed documents (None when unreadable); a sovereign
    with no path is absent at that commit. The root anchor is the base's trust.lock pin, else
    the base's genesis root: never the head's pin, which the change itself may have written.
    """
    out: list[Change] = []
    repo_before = {p: before[p] for p in ROOT_FILES if p in before}
    repo_after = {p: after[p] for p in ROOT_FILES if p in after}
    if repo_before != repo_after:
        out += compare_repository(repo_before, repo_after)
    base_pins = pins(before.get(LOCK_FILE))
    folders_before, folders_after = _folders(before), _folders(after)
    for sid in sorted(set(sovereigns)):
        old_docs, new_docs = folders_before.get(sid, {}), folders_after.get(sid, {})
        old = build_view(sid, old_docs) if old_docs else None
        new = build_view(sid, new_docs) if new_docs else None
        out += compare_sovereign(old, new, Memory.of(old), anchor=base_pins.get(sid), at=at,
                                 expiring_within=expiring_within)
    return out


def _key(f: Finding) -> tuple[str, str, str]:
    return (f.path, f.pointer, f.code)


def introduced_findings(before: Iterable[Finding], after: Iterable[Finding]) -> list[Change]:
    """Findings at the head that the base did not have (same file, pointer and code)."""
    seen = Counter(_key(f) for f in before)
    out = []
    for f in sorted(set(after)):
        if seen[_key(f)] > 0:
            seen[_key(f)] -= 1
            continue
        level = "critical" if f.code in CRITICAL_FINDINGS else _FINDING_LEVEL[f.severity]
        parts = f.path.split("/")
        sovereign = parts[1] if len(parts) > 2 and parts[0] == "sovereigns" else ""
        where = f.path + (f"#{f.pointer}" if f.pointer else "")
        out.append(Change("change.finding_introduced", sovereign, f.path,
                          f"Verification now reports {f.code} ({f.severity.value}) in {where}: {f.message}",
                          f.code, level=level))
    return out


# A treaty's own lifecycle finding, and the changes that already say it: the row that revokes
# it, or the successor that renews or replaces it (whose row names it "renewed_by:..." or
# "replaced_by:..."). Listed again as a finding, it was one more line saying the same thing in
# the review of every renewal.
_LIFECYCLE_FINDINGS = frozenset({"treaty.revoked", "treaty.replaced"})
_SUCCESSIONS = frozenset({"change.treaty_renewed", "change.treaty_replaced"})


def _treaty_id(document: Any) -> str | None:
    return text(obj(document).get("treaty_id"))


def _succeeded(changes: Iterable[Change], after: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    """(sovereign, treaty id) of every treaty a listed renewal or replacement succeeds (its
    new treaty's `renew_of` or `replace_of`) -> the new treaty's path."""
    out = {}
    for change in changes:
        if change.code in _SUCCESSIONS:
            metadata = obj(obj(after.get(change.path)).get("metadata"))
            for name in ("renew_of", "replace_of"):
                predecessor = text(metadata.get(name))
                if predecessor is not None:
                    out[(change.sovereign, predecessor)] = change.path
    return out


def _successor_paths(succeeded: Mapping[tuple[str, str], str], before: Mapping[str, Any]) -> dict[str, str]:
    """The base path of each treaty in `succeeded` -> its successor's path. The new treaty
    inherits verification's notes (info findings) on the old one (its subject not published
    here, say): only what the succession changes is new. Never a warning or an error: a
    successor must not hide a bad signature behind its predecessor's."""
    out: dict[str, str] = {}
    if not succeeded:
        return out
    for path, document in before.items():
        parts = path.split("/")
        treaty_id = _treaty_id(document)
        if len(parts) == 4 and parts[0] == "sovereigns" and parts[2] == "treaties" and treaty_id is not None:
            successor = succeeded.get((parts[1], treaty_id))
            if successor is not None:
                out[path] = successor
    return out


def _restates(change: Change, ended: set[tuple[str, str]], after: Mapping[str, Any]) -> bool:
    """Whether an introduced finding is a treaty's lifecycle finding for a treaty a listed
    change already ends (the finding's file is that treaty's document at the head)."""
    if change.subject not in _LIFECYCLE_FINDINGS:
        return False
    treaty_id = _treaty_id(after.get(change.path))
    return treaty_id is not None and (change.sovereign, treaty_id) in ended


def build_review(base: str, head: str, at: datetime, before: Mapping[str, Any], after: Mapping[str, Any],
                 sovereigns: Iterable[str], findings_before: Iterable[Finding], findings_after: Iterable[Finding],
                 *, changed_paths: int, expiring_within: timedelta = timedelta(days=30),
                 stats: Mapping[str, int] | None = None) -> Review:
    sovereigns = tuple(sorted(set(sovereigns)))
    changes = trust_changes(before, after, sovereigns, at=at, expiring_within=expiring_within)
    succeeded = _succeeded(changes, after)
    ended = {(c.sovereign, c.subject) for c in changes if c.code == "change.treaty_revoked"} | succeeded.keys()
    successors = _successor_paths(succeeded, before)
    base_findings = list(findings_before)
    base_findings += [replace(f, path=successors[f.path]) for f in base_findings
                      if f.path in successors and f.severity is Severity.INFO]
    changes += [c for c in introduced_findings(base_findings, findings_after) if not _restates(c, ended, after)]
    return Review(base, head, at, tuple(sort_changes(changes)), changed_paths, sovereigns, dict(stats or {}))
