"""Never go back: rules a write must keep against the version already on disk (pure).

A signed document is never replaced by an older one (`issued_at`), a revocation feed's
sequence never decreases, a genesis block's signed content and a pinned root never change,
a key history only grows, and a treaty row that says `revoked` stays revoked (revocation is
terminal for the treaty id, FORMATS §5.3). Returns the problems; the writer refuses on any.
"""
from __future__ import annotations

from typing import Any
from collections.abc import Callable

from publisher import timestamps
from publisher.canonical import canonical_bytes, signed_bytes
from publisher.keyfile import parse_public_key_file
from publisher.layout import classify
from publisher.strictjson import Refusal, load_json

DATED_KINDS = frozenset({"recognition-treaty", "revocation-feed", "roll-call", "policy-manifest",
                         "na-cosigners"})


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _json(data: bytes) -> dict[str, Any] | None:
    value = load_json(data)
    return value if isinstance(value, dict) and not isinstance(value, Refusal) else None


def _dated(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    before, after = timestamps.parse(old.get("issued_at")), timestamps.parse(new.get("issued_at"))
    if before is not None and (after is None or after < before):
        return [f"the new version is dated {new.get('issued_at')}, older than the published "
                f"{old.get('issued_at')}; a newer signed document is never replaced by an older one"]
    return []


def _feed(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    out = _dated(old, new)
    if isinstance(old.get("sequence"), int) and isinstance(new.get("sequence"), int) \
            and new["sequence"] < old["sequence"]:
        out.append(f"the feed sequence would fall from {old['sequence']} to {new['sequence']}; "
                   "it counts revocations ever made and never decreases")
    return out


def _genesis(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    if signed_bytes(old, "genesis-block") != signed_bytes(new, "genesis-block"):
        return ["the genesis block's signed content would change; a genesis is never rewritten "
                "(only further root signatures may be added)"]
    return []


def _history(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    if canonical_bytes(old.get("genesis")) != canonical_bytes(new.get("genesis")):
        return ["the key history's genesis block would change"]
    before, after = _list(old.get("successions")), _list(new.get("successions"))
    if [canonical_bytes(s) for s in before] != [canonical_bytes(s) for s in after[: len(before)]]:
        return ["the key history would drop or change a recorded succession; it only grows"]
    return []


def _rows(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    def index(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {r["treaty"]["treaty_id"]: r for r in _list(doc.get("recognition_treaties"))
                if isinstance(r, dict) and isinstance(r.get("treaty"), dict)
                and isinstance(r["treaty"].get("treaty_id"), str)}

    before, after = index(old), index(new)
    out = [f"treaty {tid} would disappear from recognition-treaties.json" for tid in sorted(set(before) - set(after))]
    for tid, row in sorted(before.items()):
        if row.get("status") == "revoked" and tid in after and after[tid].get("status") != "revoked":
            out.append(f"treaty {tid} is revoked; revocation is terminal for a treaty id")
    return out


def _identity(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    if "root_public_key" in old and old.get("root_public_key") != new.get("root_public_key"):
        return ["sovereign.json would name another root key; a root change is never an edit"]
    return []


def _lock(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    pins, later = _dict(old.get("sovereigns")), _dict(new.get("sovereigns"))
    return [f"trust.lock would change or drop the pinned root of {sid}"
            for sid, pin in sorted(pins.items()) if later.get(sid) != pin]


_JSON_RULES: dict[str, Callable[[dict[str, Any], dict[str, Any]], list[str]]] = {
    "recognition-treaty": _dated, "roll-call": _dated, "policy-manifest": _dated,
    "na-cosigners": _dated, "revocation-feed": _feed, "genesis": _genesis,
    "key-history": _history, "recognition-treaties": _rows, "sovereign": _identity,
    "trust-lock": _lock,
}


def regressions(path: str, old: bytes, new: bytes) -> list[str]:
    """Why replacing `old` by `new` at `path` would go back in time (empty when it would not)."""
    kind = classify(path)
    if kind == "key-root":
        if parse_public_key_file(old) != parse_public_key_file(new):
            return ["keys/root.pub would name another root key; a root change is never an edit"]
        return []
    rule = _JSON_RULES.get(kind or "")
    if rule is None:
        return []
    before, after = _json(old), _json(new)
    if before is None:
        return []      # the published version does not parse: nothing to compare against
    if after is None:
        return ["the new version is not a JSON object"]
    return rule(before, after)
