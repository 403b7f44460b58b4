"""The change channel's data (pure): trust changes per commit, newest first.

`change_entries(history)` turns a walked history (or `Step`s) into `ChangeEntry` values:
commit, commit time, sovereign, severity level, code, file and one sentence. The site renders
them as `changes.html`, `changes.atom` and a history section per sovereign; nothing here
knows HTML or reads the clock, so the same history always gives the same entries.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from collections.abc import Iterable, Mapping

from publisher.history.model import LEVEL_RANK
from publisher.history.walk import HistoryResult, Step, analyze, deleted_while_active
from publisher.timestamps import zulu


@dataclass(frozen=True)
class ChangeEntry:
    commit: str
    time: datetime
    sovereign: str            # "" for coalition-wide changes
    severity: str             # critical | high | medium | low | info
    code: str
    path: str
    sentence: str

    def to_dict(self) -> dict[str, str]:
        return {"commit": self.commit, "time": zulu(self.time),
                "sovereign": self.sovereign, "severity": self.severity, "code": self.code,
                "path": self.path, "sentence": self.sentence}


def change_entries(history: HistoryResult | Iterable[Step], *, limit: int | None = None,
                   at: datetime | None = None) -> list[ChangeEntry]:
    """Every change of the history, newest commit first, most severe first within a commit.

    With `at` (the evaluation time), a removal "after expiry" whose treaty has not expired at
    `at` is told as the deletion it is (`walk.deleted_while_active`), as verify reports it: its
    commit claims a date past `at`, and the channel must not repeat that claim."""
    result = history if isinstance(history, HistoryResult) else analyze(history)
    order = {change.commit: index for index, change in enumerate(result.changes)}
    deleted = {} if at is None else {
        (c.commit, c.sovereign, c.subject): c for c in deleted_while_active(result.dated_removals, at)}
    changes = (deleted.get((c.commit, c.sovereign, c.subject), c) if deleted and c.code == "change.treaty_removed"
               else c for c in result.changes)
    entries = [
        ChangeEntry(c.commit, c.time, c.sovereign, c.level, c.code, c.path, c.sentence)
        for c in changes if c.commit is not None and c.time is not None
    ]
    entries.sort(key=lambda e: (-order[e.commit], LEVEL_RANK[e.severity], e.sovereign, e.path, e.code, e.sentence))
    return entries[:limit] if limit is not None else entries


def by_sovereign(entries: Iterable[ChangeEntry]) -> Mapping[str, tuple[ChangeEntry, ...]]:
    """Entries grouped per sovereign (coalition-wide ones under ""), order kept, ids sorted."""
    groups: dict[str, list[ChangeEntry]] = {}
    for entry in entries:
        groups.setdefault(entry.sovereign, []).append(entry)
    return {sid: tuple(groups[sid]) for sid in sorted(groups)}
