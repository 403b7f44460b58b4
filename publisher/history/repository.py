"""Repository-wide trust files: coalition.json membership and trust.lock pins (pure).

`members(value)` and `pins(value)` read the parsed documents leniently (verification reports
malformed ones); `compare_repository` turns two versions into `Change`s. A pin that changes
is critical whatever the reason: pins are first-seen roots, and a root rotation is carried by
rotation records, not by editing the lock.
"""
from __future__ import annotations

from typing import Any, TypeVar
from collections.abc import Callable, Mapping

from publisher.history.compare import short
from publisher.history.model import Change
from publisher.layout import COALITION_FILE, LOCK_FILE

_Result = TypeVar("_Result")


def _same_value_memo(function: Callable[[Any], _Result]) -> Callable[[Any], _Result]:
    """`function` remembered for the last two values it was given, by identity. A history walk
    asks for the members and pins of the same parsed coalition.json and trust.lock (10,000
    entries each at full scale) up to five times per commit that changes either; a document is
    never changed once parsed. Results are shared: callers only read them."""
    kept: list[tuple[Any, _Result]] = []

    def remembered(value: Any) -> _Result:
        for known, result in kept:
            if known is value:
                return result
        result = function(value)
        kept[:] = [(value, result), *kept[:1]]
        return result

    return remembered


@_same_value_memo
def members(value: Any) -> frozenset[str]:
    items = value.get("members") if isinstance(value, dict) else None
    if not isinstance(items, list):
        return frozenset()
    return frozenset(m["sovereign_id"] for m in items if isinstance(m, dict) and isinstance(m.get("sovereign_id"), str))


@_same_value_memo
def pins(value: Any) -> dict[str, str]:
    entries = value.get("sovereigns") if isinstance(value, dict) else None
    if not isinstance(entries, dict):
        return {}
    return {sid: e["root_public_key"] for sid, e in entries.items()
            if isinstance(e, dict) and isinstance(e.get("root_public_key"), str)}


def compare_repository(before: Mapping[str, Any], after: Mapping[str, Any],
                       first_pins: Mapping[str, str] | None = None) -> list[Change]:
    """Changes between two versions of {'coalition.json': value, 'trust.lock': value}.

    `first_pins` (history) holds the first pin ever seen per sovereign; a later different pin is
    critical even when the previous commit already carried the altered one.
    """
    out: list[Change] = []
    if COALITION_FILE in before or COALITION_FILE in after:
        old, new = members(before.get(COALITION_FILE)), members(after.get(COALITION_FILE))
        for sid in sorted(new - old):
            out.append(Change("change.member_added", sid, COALITION_FILE, f"{sid} becomes a coalition member.", sid))
        for sid in sorted(old - new):
            out.append(Change("change.member_removed", sid, COALITION_FILE,
                              f"{sid} is no longer a coalition member.", sid))
    if LOCK_FILE in before or LOCK_FILE in after:
        old_pins, new_pins = pins(before.get(LOCK_FILE)), pins(after.get(LOCK_FILE))
        reference = {**old_pins, **(first_pins or {})}
        for sid in sorted(new_pins):
            if sid in reference and new_pins[sid] != reference[sid] and new_pins[sid] != old_pins.get(sid, ""):
                out.append(Change("change.lock_repinned", sid, LOCK_FILE,
                                  f"trust.lock now pins {sid} to root key {short(new_pins[sid])} instead of "
                                  f"{short(reference[sid])}.", sid))
            elif sid not in old_pins and sid not in reference:
                out.append(Change("change.lock_pin_added", sid, LOCK_FILE,
                                  f"trust.lock pins {sid} to root key {short(new_pins[sid])}.", sid))
        for sid in sorted(set(old_pins) - set(new_pins)):
            out.append(Change("change.lock_pin_removed", sid, LOCK_FILE,
                              f"trust.lock no longer pins {sid}; its root key is no longer checked.", sid))
    return out
