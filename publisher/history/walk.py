"""Fold a first-parent history through `compare`: every change, first-seen roots, open attacks.

Pure: input is a sequence of `Step`s (a commit, its time, and the new bytes of each path it
changed; None for a deletion; the bytes of files no view reads may be empty). Per step only
the sovereigns it touches are re-read. The attacks a history check reports (`CHECKS`) stay
open until the repository repairs them (a revoked id revoked again, the feed restored, the
root back on a verified rotation chain), so `handshake verify` fails on an attack that is
still in effect at HEAD, not forever on one that was undone.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from collections.abc import Iterable, Mapping

from publisher.history.compare import Memory, compare_sovereign, day, short
from publisher.history.model import Change, SovereignView
from publisher.history.repository import compare_repository, pins
from publisher.history.rotation import rotation_verifies
from publisher.history.views import TreatyMemo, build_view, needs_content, parse_document
from publisher.layout import LOCK_FILE, ROOT_FILES, split_sovereign_path

CHECKS = frozenset({
    "change.root_key_changed", "change.na_history_rewritten", "change.treaty_unrevoked",
    "change.treaty_deleted", "change.feed_sequence_decreased", "change.feed_entry_removed",
    "change.issued_at_regressed", "change.lock_repinned",
})


@dataclass(frozen=True)
class Step:
    commit: str
    time: datetime
    files: Mapping[str, bytes | None]


@dataclass(frozen=True)
class FirstSeen:
    root_public_key: str
    commit: str
    time: datetime


@dataclass
class HistoryResult:
    changes: list[Change] = field(default_factory=list)          # chronological
    open: list[Change] = field(default_factory=list)             # attacks still in effect
    first_seen: dict[str, FirstSeen] = field(default_factory=dict)
    head: str | None = None
    commits: int = 0
    # Treaties removed as expired only because their commit's claimed date is past the expiry,
    # still absent at the head: (the removal, the treaty's expiry). A commit date is the
    # committer's word, so verify reports these as deletions when the treaty has not expired
    # at the evaluation time (`load.history_findings`).
    dated_removals: list[tuple[Change, datetime]] = field(default_factory=list)


def _holds(change: Change, view: SovereignView | None, memory: Memory, lock_pins: Mapping[str, str],
           first_pins: Mapping[str, str]) -> bool:
    """True while the attack `change` reported is still in effect."""
    code, subject = change.code, change.subject
    if code == "change.lock_repinned":
        return subject in lock_pins and lock_pins[subject] != first_pins.get(subject)
    if view is None:
        return False
    if code == "change.root_key_changed":
        return not rotation_verifies(memory.first_root, view.rotations, view.sovereign_id, view.root_key)
    if code == "change.na_history_rewritten":
        return view.successions[: len(memory.successions)] != memory.successions
    if code == "change.treaty_unrevoked":
        return subject in view.treaties and not view.treaties[subject].revoked
    if code == "change.treaty_deleted":
        return subject not in view.treaties
    if code == "change.feed_sequence_decreased":
        return view.feed is None or (memory.feed_max is not None and view.feed.sequence < memory.feed_max)
    if code == "change.feed_entry_removed":
        return view.feed is None or subject not in view.feed.ids
    if code == "change.issued_at_regressed":
        return subject in view.issued and view.issued[subject] < memory.issued.get(subject, view.issued[subject])
    return False


class Walk:
    """The fold's state; `step()` applies one commit. Use `analyze()` for a whole history.

    `keep_changes=False` (a parallel worker, which hands each step's `groups` on as it goes)
    neither keeps every change in the result nor stamps them with their commit: only the
    attacks left open and the dated removals are stamped, which is all `finish` returns."""

    def __init__(self, *, keep_changes: bool = True) -> None:
        self.keep_changes = keep_changes
        self.docs: dict[str, dict[str, Any]] = {}
        self.views: dict[str, SovereignView] = {}
        self.treaty_memo: dict[str, TreatyMemo] = {}
        self.memory: dict[str, Memory] = {}
        self.repo: dict[str, Any] = {}
        self.first_pins: dict[str, str] = {}
        self.lock_pins: dict[str, str] = {}
        self.open: dict[tuple[str, str, str], Change] = {}
        self.groups: list[tuple[str, list[Change]]] = []     # the last step's changes by group (stamped
                                                             # when kept)
        self.expiries: dict[tuple[str, str], datetime] = {}  # this step's expiry-justified removals
        self.dated: dict[tuple[str, str], tuple[Change, datetime]] = {}
        self.result = HistoryResult()

    def step(self, step: Step) -> None:
        """Apply one commit's changed files, and compare only the folders it touched (and the
        repository files, when they changed) with their state before: a walk over 10,000
        commits never rebuilds an untouched sovereign."""
        touched: set[str] = set()
        repo_before = dict(self.repo)
        for path, data in step.files.items():
            if path in ROOT_FILES:
                if data is None:
                    self.repo.pop(path, None)
                else:
                    self.repo[path] = parse_document(data, path=path)
                continue
            split = split_sovereign_path(path)
            if split is None:
                continue
            touched.add(split[0])
            folder = self.docs.setdefault(split[0], {})
            if data is None:
                folder.pop(path, None)
            else:
                folder[path] = parse_document(data) if needs_content(path) else None
        # Groups in output order: the repository files (""), then each sovereign by id.
        groups: list[tuple[str, list[Change]]] = []
        if repo_before != self.repo:
            groups.append(("", compare_repository(repo_before, self.repo, self.first_pins)))
            self.lock_pins = pins(self.repo.get(LOCK_FILE))
            for sid, pin in self.lock_pins.items():
                self.first_pins.setdefault(sid, pin)
        for sid in sorted(touched):
            groups.append((sid, self._sovereign(sid, step)))
        if self.keep_changes:
            groups = [(sid, [c.at(step.commit, step.time) for c in found]) for sid, found in groups if found]
        else:
            groups = [(sid, found) for sid, found in groups if found]
        self.groups = groups

        def stamped(change: Change) -> Change:
            return change if change.commit else change.at(step.commit, step.time)

        for _, found in groups:
            for change in found:
                if change.code in CHECKS:
                    attack = (change.code, change.sovereign, change.subject)
                    if attack not in self.open:
                        self.open[attack] = stamped(change)
                elif change.code == "change.treaty_removed" \
                        and (expiry := self.expiries.get((change.sovereign, change.subject))) is not None:
                    self.dated[(change.sovereign, change.subject)] = (stamped(change), expiry)
        self.expiries.clear()
        for key in [k for k in self.dated if k[0] in touched]:
            view = self.views.get(key[0])
            if view is not None and key[1] in view.treaties:
                del self.dated[key]         # the treaty is back: nothing was removed
        self._resolve(touched, repo_changed=repo_before != self.repo)
        if self.keep_changes:
            self.result.changes += [c for _, found in groups for c in found]
        self.result.commits += 1
        self.result.head = step.commit

    def _sovereign(self, sid: str, step: Step) -> list[Change]:
        folder = self.docs.get(sid)
        if not folder:
            self.docs.pop(sid, None)
        memo = self.treaty_memo.setdefault(sid, {})
        before, after = self.views.get(sid), build_view(sid, folder, memo) if folder else None
        memory = self.memory.setdefault(sid, Memory())
        found = compare_sovereign(before, after, memory, when=step.time)
        if before is not None:
            gone = (before.treaties.keys() - (after.treaties.keys() if after else set()))
            for tid in gone:
                old = before.treaties[tid]
                if not old.revoked and tid not in memory.revoked and old.expires_at is not None:
                    self.expiries[(sid, tid)] = old.expires_at
        if after is None:
            self.views.pop(sid, None)
            self.treaty_memo.pop(sid, None)
            return found
        memory.remember(after)
        self.views[sid] = after
        if after.root_key and sid not in self.result.first_seen:
            self.result.first_seen[sid] = FirstSeen(after.root_key, step.commit, step.time)
        return found

    def _resolve(self, sovereigns: set[str], *, repo_changed: bool) -> None:
        if not self.open:
            return
        for key, change in list(self.open.items()):
            relevant = change.sovereign in sovereigns or (repo_changed and change.code == "change.lock_repinned")
            if relevant and not _holds(
                    change, self.views.get(change.sovereign), self.memory.get(change.sovereign, Memory()),
                    self.lock_pins, self.first_pins):
                del self.open[key]

    def finish(self) -> HistoryResult:
        self.result.open = sorted(self.open.values(), key=Change.sort_key)
        self.result.dated_removals = sorted(self.dated.values(), key=lambda d: d[0].sort_key())
        return self.result


def deleted_while_active(removals: Iterable[tuple[Change, datetime]], now: datetime) -> list[Change]:
    """The removals "after expiry" (`HistoryResult.dated_removals`) whose treaty has not expired
    at `now`, as the deletions they are: the removing commit claims a date past `now`, and a
    commit date is the committer's word. Each keeps its removal's commit, time and path."""
    return [Change("change.treaty_deleted", change.sovereign, change.path,
                   f"Treaty {short(change.subject, 13)} was deleted while active instead of being revoked: "
                   f"it expires on {day(expires_at)}, and the commit that removed it claims a later "
                   f"date than the evaluation time.", change.subject, commit=change.commit, time=change.time)
            for change, expires_at in removals if expires_at > now]


def analyze(steps: Iterable[Step]) -> HistoryResult:
    """Walk `steps` (oldest first) and return every change, first-seen roots and open attacks."""
    walk = Walk()
    for step in steps:
        walk.step(step)
    return walk.finish()
