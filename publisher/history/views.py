"""Extract a `SovereignView` from one folder's documents (pure, never raises on content).

Input is plain data: repo-relative path -> parsed JSON value (or None when the file did not
parse). Only the kinds in `VIEW_KINDS` matter; anything malformed is skipped silently here,
because `publisher.verify` reports it. Nothing is verified: a view says what a folder claims.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any
from collections.abc import Mapping

from publisher import timestamps
from publisher.canonical import canonical_bytes, sha256_hex
from publisher.history.model import FeedView, PartyView, SovereignView, TreatyView
from publisher.layout import ROOT_FILES, classify
from publisher.limits import DEFAULT_LIMITS, Limits, for_path
from publisher.strictjson import Refusal, load_json

# Kinds whose content a view reads; other files only count as present.
VIEW_KINDS = frozenset({
    "genesis", "key-history", "recognition-treaties", "recognition-treaty", "revocation-feed",
    "roll-call", "policy-manifest", "root-rotation",
})
SIGNED_WITH_ISSUED_AT = frozenset({"recognition-treaty", "revocation-feed", "roll-call",
                                   "policy-manifest", "root-rotation"})


# The document kind of a repository path, memoised: a walk asks for each path at every commit
# that touches its folder.
kind_of = lru_cache(maxsize=1 << 18)(classify)


def needs_content(path: str) -> bool:
    """True when history and review read this file's bytes (others only count as present)."""
    kind = kind_of(path)
    return kind in VIEW_KINDS or kind in ROOT_FILES.values()


def parse_document(data: bytes | None, limits: Limits = DEFAULT_LIMITS, *, path: str = "") -> Any:
    """A JSON object, or None for absent, unreadable or non-object content (`path` picks the
    size bound: coalition.json and trust.lock have their own, publisher.limits.for_path)."""
    if data is None:
        return None
    value = load_json(data, for_path(limits, path))
    return value if isinstance(value, dict) and not isinstance(value, Refusal) else None


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(sorted({v for v in value if isinstance(v, str)})) if isinstance(value, list) else ()


def _text(mapping: Mapping[str, Any], key: str) -> str | None:
    value = mapping.get(key)
    return value if isinstance(value, str) else None


def _treaty(body: Mapping[str, Any], row: Mapping[str, Any] | None, in_file: bool) -> TreatyView | None:
    treaty_id, subject = _text(body, "treaty_id"), _text(body, "subject_sovereign_id")
    if treaty_id is None or subject is None:
        return None
    scope, metadata = _obj(body.get("scope")), _obj(body.get("metadata"))
    statuses = _strs(scope.get("accepted_statuses")) if "accepted_statuses" in scope else ("active",)
    return TreatyView(
        treaty_id=treaty_id, subject=subject, signed_status=_text(body, "status") or "active",
        row_status=_text(row, "status") if row is not None else None,
        reason=_text(row, "revocation_reason") if row is not None else None,
        issued_at=timestamps.parse(body.get("issued_at")), expires_at=timestamps.parse(body.get("expires_at")),
        allowed_roles=_strs(scope.get("allowed_roles")), accepted_statuses=statuses,
        subject_keys=_strs(body.get("subject_public_keys")),
        renew_of=_text(metadata, "renew_of"), replace_of=_text(metadata, "replace_of"), in_file=in_file,
    )


# Per treaty id: the (body, row, in_file) a TreatyView was built from, and the view. A walk
# keeps one per sovereign across commits, so a treaty whose body and row did not change is not
# rebuilt. `_treaty` reads only str, dict and list values (each type-checked), so inputs equal
# under `==` (where 1 == 1.0 == True) give equal views.
TreatyMemo = dict[str, tuple[Mapping[str, Any], Mapping[str, Any] | None, bool, TreatyView | None]]


def _same(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    return a is b or (a is not None and b is not None and a == b)


def _treaty_memo(memo: TreatyMemo, treaty_id: str, body: Mapping[str, Any], row: Mapping[str, Any] | None,
                 in_file: bool) -> TreatyView | None:
    known = memo.get(treaty_id)
    if known is not None and known[2] == in_file and _same(known[0], body) and _same(known[1], row):
        view = known[3]
    else:
        view = _treaty(body, row, in_file)
    memo[treaty_id] = (body, row, in_file, view)        # the current objects: older ones are freed
    return view


def _treaties(ordered: list[tuple[str, tuple[str, Any]]],
              memo: TreatyMemo | None = None) -> tuple[dict[str, TreatyView], dict[str, str]]:
    """Treaty views from the folder's files, sorted by path: (path, (kind, value))."""
    bodies: dict[str, tuple[str, Mapping[str, Any]]] = {}
    for path, (kind, value) in ordered:
        if kind == "recognition-treaty" and isinstance(value, dict) and _text(value, "treaty_id"):
            bodies.setdefault(value["treaty_id"], (path, value))
    rows: dict[str, Mapping[str, Any]] = {}
    for _, (kind, value) in ordered:
        is_rows = kind == "recognition-treaties" and isinstance(value, dict)
        items = value.get("recognition_treaties") if is_rows else None
        for item in items if isinstance(items, list) else []:
            body = item.get("treaty") if isinstance(item, dict) else None
            if isinstance(body, dict) and isinstance(body.get("treaty_id"), str):
                rows.setdefault(body["treaty_id"], item)
    views: dict[str, TreatyView] = {}
    if memo is not None:
        for gone in set(memo) - set(bodies) - set(rows):
            del memo[gone]
    for treaty_id in sorted(set(bodies) | set(rows)):
        in_file = treaty_id in bodies
        body = bodies[treaty_id][1] if in_file else rows[treaty_id]["treaty"]
        row = rows.get(treaty_id)
        view = _treaty(body, row, in_file) if memo is None else _treaty_memo(memo, treaty_id, body, row, in_file)
        if view is not None:
            views[treaty_id] = view
    return views, {tid: path for tid, (path, _) in bodies.items()}


def _parties(value: Any) -> tuple[str | None, dict[str, PartyView]]:
    if not isinstance(value, dict):
        return None, {}
    parties: dict[str, PartyView] = {}
    for item in _list(value.get("parties")):
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            parties.setdefault(item["name"], PartyView(_strs(item.get("roles")), _strs(item.get("holds_keys"))))
    return _text(value, "custody_model"), parties


def _threshold(value: Any) -> int:
    """The roll call's signature_threshold as verification applies it: a positive integer, else 1."""
    found = value.get("signature_threshold") if isinstance(value, dict) else None
    return found if isinstance(found, int) and not isinstance(found, bool) and found > 0 else 1


def _successions(value: Any) -> tuple[str, ...]:
    records = value.get("successions") if isinstance(value, dict) else None
    return tuple(sha256_hex(canonical_bytes(r)) for r in records) if isinstance(records, list) else ()


def build_view(sovereign_id: str, documents: Mapping[str, Any], memo: TreatyMemo | None = None) -> SovereignView:
    """The view of `sovereigns/<sovereign_id>/` from its documents (path -> parsed value).

    `memo` (kept by the caller for this sovereign) reuses the treaty views of unchanged treaties."""
    files = {path: (kind_of(path) or "", value) for path, value in documents.items()}
    ordered = sorted(files.items())
    by_kind = {kind: value for _, (kind, value) in ordered if kind}
    genesis = _obj(by_kind.get("genesis"))
    na = _obj(genesis.get("network_authority"))
    treaties, treaty_paths = _treaties(ordered, memo)
    feed_raw = by_kind.get("revocation-feed")
    feed = None
    if isinstance(feed_raw, dict) and isinstance(feed_raw.get("sequence"), int):
        feed = FeedView(feed_raw["sequence"], frozenset(_strs(feed_raw.get("revoked_attestation_ids"))))
    custody, parties = _parties(by_kind.get("roll-call"))
    threshold = _threshold(by_kind.get("roll-call"))
    issued = {}
    for path, (kind, value) in files.items():
        moment = timestamps.parse(value.get("issued_at")) if isinstance(value, dict) else None
        if kind in SIGNED_WITH_ISSUED_AT and moment is not None:
            issued[path] = moment
    rotations = tuple((path, value) for path, (kind, value) in ordered
                      if kind == "root-rotation" and isinstance(value, dict))
    return SovereignView(
        sovereign_id=sovereign_id, root_key=_text(genesis, "root_public_key"),
        na_key=_text(na, "public_key"), successions=_successions(by_kind.get("key-history")),
        rotations=rotations, treaties=treaties, treaty_paths=treaty_paths, feed=feed,
        custody=custody, parties=parties, threshold=threshold, issued=issued, files=frozenset(documents),
    )
