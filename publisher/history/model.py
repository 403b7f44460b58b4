"""Values of git-aware trust: a trust change, and the trust view of one sovereign folder.

A `SovereignView` is what a reviewer cares about in a folder (root key, NA key chain, each
treaty's effective state and scope, the revocation feed, the roll call, issued_at of every
signed document), extracted without verifying anything: verification is `publisher.verify`'s
job; history and review compare views. Pure values; no I/O, no clock.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from collections.abc import Mapping

from publisher.codes.history import LEVEL_ORDER, LEVELS
from publisher.timestamps import zulu

LEVEL_RANK = {level: rank for rank, level in enumerate(LEVEL_ORDER)}


@dataclass(frozen=True)
class Change:
    """One trust change: a code, its level, where, and one plain sentence."""

    code: str
    sovereign: str                 # "" for repository-wide files (coalition.json, trust.lock)
    path: str
    sentence: str
    subject: str = ""              # treaty id, revoked id, party, member, pinned sovereign...
    level: str = ""                # defaults to the code's level
    commit: str | None = None
    time: datetime | None = None

    def __post_init__(self) -> None:
        if not self.level:
            object.__setattr__(self, "level", LEVELS[self.code])
        if self.level not in LEVEL_RANK:
            raise ValueError(f"unknown level {self.level!r}")

    @property
    def rank(self) -> int:
        return LEVEL_RANK[self.level]

    def at(self, commit: str, time: datetime) -> Change:
        """This change stamped with the commit that made it (`dataclasses.replace`, without its
        generic field walk: a walk stamps every change)."""
        return Change(self.code, self.sovereign, self.path, self.sentence, self.subject, self.level, commit, time)

    def sort_key(self) -> tuple[Any, ...]:
        """Most severe first; within a level, trust changes before the verification findings they
        cause, then by sovereign, file, code, subject."""
        return (self.rank, self.code == "change.finding_introduced", self.sovereign, self.path, self.code,
                self.subject, self.sentence)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "level": self.level, "sovereign": self.sovereign,
                               "path": self.path, "subject": self.subject, "sentence": self.sentence}
        if self.commit is not None:
            out["commit"] = self.commit
        if self.time is not None:
            out["time"] = zulu(self.time)
        return out


def sort_changes(changes: list[Change]) -> list[Change]:
    """Most severe first, then by sovereign, path, code, subject (deterministic)."""
    return sorted(set(changes), key=Change.sort_key)


@dataclass(frozen=True)
class TreatyView:
    treaty_id: str
    subject: str
    signed_status: str                 # active | suspended | revoked (the signed body)
    row_status: str | None             # the issuer's row: active | revoked | None (no row)
    reason: str | None
    issued_at: datetime | None
    expires_at: datetime | None
    allowed_roles: tuple[str, ...]
    accepted_statuses: tuple[str, ...]
    subject_keys: tuple[str, ...]
    renew_of: str | None = None
    replace_of: str | None = None
    in_file: bool = False

    @property
    def state(self) -> str:
        """revoked | replaced | suspended | active (time-independent, as lifecycle orders it)."""
        if self.row_status == "revoked":
            reason = self.reason or ""
            for prefix in ("replaced_by:", "renewed_by:"):
                if reason.startswith(prefix) and len(reason) > len(prefix):
                    return "replaced"
            return "revoked"
        if self.signed_status in ("revoked", "suspended"):
            return self.signed_status
        return "active"

    @property
    def revoked(self) -> bool:
        return self.state in ("revoked", "replaced")


@dataclass(frozen=True)
class FeedView:
    sequence: int
    ids: frozenset[str]


@dataclass(frozen=True)
class PartyView:
    roles: tuple[str, ...]
    holds_keys: tuple[str, ...]


@dataclass(frozen=True)
class SovereignView:
    sovereign_id: str
    root_key: str | None = None                     # genesis root_public_key
    na_key: str | None = None                       # genesis NA key
    successions: tuple[str, ...] = ()               # canonical digests, in order
    rotations: tuple[tuple[str, Mapping[str, Any]], ...] = ()   # (path, record), by path
    treaties: Mapping[str, TreatyView] = field(default_factory=dict)
    treaty_paths: Mapping[str, str] = field(default_factory=dict)   # treaty id -> file path
    feed: FeedView | None = None
    custody: str | None = None
    threshold: int = 1                              # roll call signature_threshold (absent: 1)
    parties: Mapping[str, PartyView] = field(default_factory=dict)
    issued: Mapping[str, datetime] = field(default_factory=dict)    # signed doc path -> issued_at
    files: frozenset[str] = frozenset()
