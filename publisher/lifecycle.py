"""Treaty lifecycle at an evaluation time (genesis-mesh `treaty_lifecycle`, FORMATS §5.3).

Lifecycle is derived and unsigned: recomputed from the issuer's row (revoked, replaced),
the signed status (suspended, revoked) and the signed window, never read from an export
(exported states go stale, FORMATS §14.6). `at` is always a parameter.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from publisher.checks.treaties import replacement_of
from publisher.model import Treaty
from publisher.timestamps import SKEW

EXPIRING_WITHIN = timedelta(hours=72)
HIGH_RISK_WITHIN = timedelta(hours=24)
ACTIVE_STATES = frozenset({"active", "expiring_soon"})


@dataclass(frozen=True)
class TreatyState:
    state: str                 # active | expiring_soon | expired | not_yet_valid | suspended | revoked | replaced
    expiry_risk: str           # low | medium | high | expired | none
    seconds_until_expiry: int | None
    replacement_id: str | None = None
    revoked_at: str | None = None
    reason: str | None = None

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def is_revoked(self) -> bool:
        return self.state in ("revoked", "replaced")


def treaty_state(treaty: Treaty, at: datetime, expiring_within: timedelta = EXPIRING_WITHIN) -> TreatyState:
    row = treaty.row
    if row is not None and row.status == "revoked":
        successor = replacement_of(row)
        return TreatyState("replaced" if successor else "revoked", "none", None, successor,
                           row.revoked_at, row.revocation_reason)
    if row is not None and row.superseded_by:
        # genesis-mesh 1.8.0 re-issue: the NA re-signed this copy under its new key and serves
        # only the successor in /recognition-treaties; the copy no longer stands on its own.
        return TreatyState("replaced", "none", None, row.superseded_by, None,
                           f"superseded by the re-issue {row.superseded_by} under a newer NA key")
    if treaty.status == "revoked":
        return TreatyState("revoked", "none", None, None, None, "re-signed with status revoked")
    if treaty.status == "suspended":
        return TreatyState("suspended", "none", None, None, None, "re-signed with status suspended")
    if treaty.expires_at is None:
        return TreatyState("expired", "expired", 0)
    seconds = int((treaty.expires_at - at).total_seconds())
    if seconds <= 0:
        return TreatyState("expired", "expired", 0)
    # a difference, not `valid_from - SKEW`, which overflows for a treaty valid from year 1
    if treaty.valid_from is not None and treaty.valid_from - at > SKEW:
        return TreatyState("not_yet_valid", "low", seconds)
    if seconds <= HIGH_RISK_WITHIN.total_seconds():
        return TreatyState("expiring_soon", "high", seconds)
    if seconds <= expiring_within.total_seconds():
        return TreatyState("expiring_soon", "medium", seconds)
    return TreatyState("active", "low", seconds)
