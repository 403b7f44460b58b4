"""trust.lock from history (pure): each sovereign's first-seen root with its commit and time.

`build_lock(first_seen, existing)` keeps every existing pin's key (a pin is never moved by
`handshake pin`; a disagreement is reported as a conflict for a person to resolve), fills in
the commit and time where history shows the same key, and adds sovereigns not yet pinned.
`render_lock` is the one serialisation: indent 2, sorted keys, trailing newline.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Mapping

from publisher.history.repository import pins
from publisher.history.walk import FirstSeen
from publisher.layout import is_safe_id
from publisher.timestamps import zulu


@dataclass(frozen=True)
class LockPlan:
    lock: dict[str, Any]
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()            # existing pin differs from the first-seen root
    kept: tuple[str, ...] = ()                 # pinned but not in history (left as is)
    messages: tuple[str, ...] = field(default=())


def _entry(seen: FirstSeen) -> dict[str, Any]:
    return {"root_public_key": seen.root_public_key, "first_seen_commit": seen.commit,
            "first_seen_at": zulu(seen.time)}


def build_lock(first_seen: Mapping[str, FirstSeen], existing: Any) -> LockPlan:
    old_entries = existing.get("sovereigns") if isinstance(existing, dict) else None
    old_entries = old_entries if isinstance(old_entries, dict) else {}
    old_pins = pins(existing)
    sovereigns: dict[str, Any] = {}
    added, updated, conflicts, kept, messages = [], [], [], [], []
    for sid in sorted(set(first_seen) | set(old_entries)):
        seen, old = first_seen.get(sid), old_entries.get(sid)
        if seen is not None and old is None and not is_safe_id(sid):
            # Verification refuses such a folder; and a name that is not UTF-8 would be written
            # as a lone surrogate escape, for which the verifier refuses the whole lock.
            messages.append(f"{sid!r}: not a safe sovereign id; not pinned")
            continue
        if seen is None:
            sovereigns[sid] = old
            kept.append(sid)
            messages.append(f"{sid}: pinned but never seen in history; pin kept")
        elif sid not in old_pins:
            sovereigns[sid] = _entry(seen)
            added.append(sid)
        elif old_pins[sid] != seen.root_public_key:
            sovereigns[sid] = old
            conflicts.append(sid)
            messages.append(f"{sid}: trust.lock pins {old_pins[sid][:12]}... but history first shows "
                            f"{seen.root_public_key[:12]}... in {seen.commit[:12]}; pin kept, resolve by hand")
        else:
            entry = _entry(seen)
            if entry != old:
                updated.append(sid)
            sovereigns[sid] = entry
    lock = {"lock_version": 1, "sovereigns": sovereigns}
    return LockPlan(lock, tuple(added), tuple(updated), tuple(conflicts), tuple(kept), tuple(messages))


def render_lock(lock: Mapping[str, Any]) -> str:
    return json.dumps(lock, indent=2, sort_keys=True) + "\n"
