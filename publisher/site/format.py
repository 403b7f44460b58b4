"""Display text for the site's view models: times, durations, key fingerprints, lifecycle labels.

Pure and deterministic: every relative time is measured against the build's evaluation time,
never the clock. Returns plain strings; markup is the templates' business (autoescaped).
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from publisher.timestamps import zulu, day_text

STATE_LABELS = {
    "active": "Active", "expiring_soon": "Expiring soon", "expired": "Expired",
    "not_yet_valid": "Not yet valid", "suspended": "Suspended", "revoked": "Revoked", "replaced": "Replaced",
}
STATE_ORDER = ("active", "expiring_soon", "not_yet_valid", "suspended", "expired", "revoked", "replaced")
STATE_MEANING = {
    "active": "in force: the issuer recognizes the subject",
    "expiring_soon": "in force, expires within 72 hours",
    "not_yet_valid": "signed, but its validity window has not started",
    "suspended": "re-signed with status suspended: not in force",
    "expired": "its validity window has ended",
    "revoked": "revoked by its issuer",
    "replaced": "revoked and superseded by a newer treaty",
}


def fmt_time(moment: datetime | None) -> str:
    """`2026-11-23 12:00 UTC` (seconds shown only when not zero); an em dash for none. Formatted
    field by field, as `day_text` is: strftime cost 2% of a cold build's page workers."""
    if moment is None:
        return "—"
    if moment.second:
        return f"{day_text(moment)} {moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} UTC"
    return f"{day_text(moment)} {moment.hour:02d}:{moment.minute:02d} UTC"


def fmt_z(moment: datetime | None) -> str:
    return zulu(moment) if moment is not None else "—"


def fmt_duration(seconds: float) -> str:
    """A coarse human duration: minutes under an hour, hours under two days, else days."""
    seconds = abs(int(seconds))
    if seconds < 3600:
        minutes = seconds // 60
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    if seconds < 48 * 3600:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    days = seconds // 86400
    return f"{days} day{'s' if days != 1 else ''}"


def relative(moment: datetime | None, at: datetime) -> str:
    """`in 2 days` / `3 hours ago` relative to the evaluation time."""
    if moment is None:
        return "—"
    delta = (moment - at).total_seconds()
    if delta == 0:
        return "now"
    return f"in {fmt_duration(delta)}" if delta > 0 else f"{fmt_duration(delta)} ago"


def expiry_text(expires_at: datetime | None, at: datetime) -> str:
    if expires_at is None:
        return "no expiry time"
    delta = (expires_at - at).total_seconds()
    return f"expires in {fmt_duration(delta)}" if delta > 0 else f"expired {fmt_duration(delta)} ago"


def key_fingerprint(public_key: str | None) -> str:
    """genesis-mesh `bundle_summary` fingerprint: sha256: + 24 hex of the base64 key string."""
    if not public_key:
        return "—"
    return "sha256:" + hashlib.sha256(public_key.encode("utf-8")).hexdigest()[:24]


def shorten(text: str, limit: int = 32) -> str:
    """At most `limit` characters, an ellipsis marking the cut (labels in graphs)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
