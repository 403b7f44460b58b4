"""`import-na DIR`: fill or update a sovereign folder from files saved from a reference NA's
public endpoints (/sovereign.json, /genesis, /na/key-history, /recognition-treaties,
/sovereign-revocation-feed, and /policy, /recognition-policy when present), plus single rows
saved from /recognition-treaties/<id> in DIR/treaty-rows/ (the list omits copies a key
succession superseded, which other rows may name as successors).

Served bytes are kept as received (the strict profile verifies documents as received); each
row's signed treaty is also written to treaties/<id>.json; single rows the list lacks are
added to recognition-treaties.json. The root is never taken from the
files alone: it must equal the root already pinned here, or a root the operator obtained
independently (`--root-key`), or be accepted explicitly as first seen (`--trust-on-first-use`,
RFC-001 rule 4). Refuses files that disagree with each other and anything older than what
is published (the writer's `monotonic` rules).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publisher.authoring import AuthoringError
from publisher.authoring.documents import build_rows, dump
from publisher.authoring.state import RepoState
from publisher.authoring.writer import Plan
from publisher.canonical import canonical_bytes
from publisher.checks.genesis import check_genesis
from publisher.checks.key_history import build_key_history
from publisher.findings import finding
from publisher.keyfile import format_public_key_file
from publisher.layout import LOCK_FILE, deceptive_text, is_safe_id
from publisher.limits import DEFAULT_LIMITS
from publisher.strictjson import Refusal, load_json

# layout file name -> names the endpoint's saved body may have in DIR (first found wins)
ENDPOINTS: dict[str, tuple[str, ...]] = {
    "sovereign.json": ("sovereign.json",),
    "genesis.signed.json": ("genesis", "genesis.json", "genesis.signed.json"),
    "key-history.json": ("na/key-history", "na/key-history.json", "key-history", "key-history.json"),
    "recognition-treaties.json": ("recognition-treaties", "recognition-treaties.json"),
    "revocation-feed.json": ("sovereign-revocation-feed", "sovereign-revocation-feed.json", "revocation-feed.json"),
    "policy.json": ("policy", "policy.json"),
    "recognition-policy.json": ("recognition-policy", "recognition-policy.json"),
}
REQUIRED = ("sovereign.json", "genesis.signed.json")
ROWS_DIR = "treaty-rows"


@dataclass(frozen=True)
class Saved:
    name: str          # layout file name
    source: str        # file found in DIR
    data: bytes
    value: dict[str, Any]


def read_saved(folder: Path) -> dict[str, Saved]:
    """The endpoint files found in `folder`, strictly parsed; refuses unreadable ones."""
    found: dict[str, Saved] = {}
    for name, candidates in ENDPOINTS.items():
        for candidate in candidates:
            path = folder / candidate
            if not path.is_file():
                continue
            if path.stat().st_size > DEFAULT_LIMITS.max_file_bytes:
                raise AuthoringError(f"refused: {path} is larger than {DEFAULT_LIMITS.max_file_bytes} bytes")
            data = path.read_bytes()
            value = load_json(data)
            if isinstance(value, Refusal) or not isinstance(value, dict):
                reason = value.message if isinstance(value, Refusal) else "not a JSON object"
                raise AuthoringError(f"refused: {path} is not an endpoint body ({reason})",
                                     (finding(candidate, "", "import.unreadable", reason),))
            found[name] = Saved(name, candidate, data, value)
            break
    missing = [ENDPOINTS[n][0] for n in REQUIRED if n not in found]
    if missing:
        raise AuthoringError(f"refused: {folder} lacks {' and '.join('/' + m for m in missing)}",
                             tuple(finding(m, "", "import.missing_file", "required endpoint file") for m in missing))
    return found


def read_rows(folder: Path) -> list[dict[str, Any]]:
    """Single treaty rows saved from /recognition-treaties/<id> (DIR/treaty-rows/*)."""
    rows = []
    for path in sorted((folder / ROWS_DIR).glob("*")) if (folder / ROWS_DIR).is_dir() else []:
        if not path.is_file() or path.stat().st_size > DEFAULT_LIMITS.max_file_bytes:
            continue
        value = load_json(path.read_bytes())
        if isinstance(value, Refusal) or not isinstance(value, dict) or not isinstance(value.get("treaty"), dict):
            raise AuthoringError(f"refused: {path} is not a treaty row",
                                 (finding(f"{ROWS_DIR}/{path.name}", "", "import.unreadable", "not a treaty row"),))
        rows.append(value)
    return rows


def _consistency(saved: dict[str, Saved], extra_rows: list[dict[str, Any]]) -> tuple[str, str]:
    genesis = saved["genesis.signed.json"].value
    sid, root = genesis.get("network_name"), genesis.get("root_public_key")
    if not isinstance(sid, str) or not isinstance(root, str):
        raise AuthoringError("refused: the genesis names no network_name or root_public_key")
    if not is_safe_id(sid) or deceptive_text(sid):
        raise AuthoringError(f"refused: {sid[:80]!r} is not a safe sovereign id")
    problems = []
    identity = saved["sovereign.json"].value
    if identity.get("sovereign_id") != sid or identity.get("root_public_key", root) != root:
        problems.append("/sovereign.json names another sovereign or root than /genesis")
    history = saved.get("key-history.json")
    if history and canonical_bytes(history.value.get("genesis")) != canonical_bytes(genesis):
        problems.append("/na/key-history embeds another genesis block than /genesis")
    feed = saved.get("revocation-feed.json")
    if feed and feed.value.get("issuer_sovereign_id") != sid:
        problems.append("/sovereign-revocation-feed is issued by another sovereign")
    rows = saved.get("recognition-treaties.json")
    listed = (rows.value.get("recognition_treaties") or []) if rows else []
    if not isinstance(listed, list):
        # Nothing is schema-checked before the rows are read (ids collected, rows sorted).
        problems.append("/recognition-treaties holds no list of treaty rows")
        listed = []
    for row in [*listed, *extra_rows]:
        if not isinstance(row, dict) or not isinstance(row.get("treaty"), dict) \
                or row["treaty"].get("issuer_sovereign_id") != sid:
            problems.append("/recognition-treaties lists a treaty another sovereign issued")
            break
        if not isinstance(row["treaty"].get("treaty_id"), str):
            problems.append("/recognition-treaties lists a treaty whose treaty_id is not a string")
            break
    if problems:
        raise AuthoringError("refused: the saved endpoint files disagree: " + "; ".join(problems),
                             tuple(finding("import", "", "import.inconsistent", p) for p in problems))
    return sid, root


def _pin(state: RepoState, sid: str, root: str, root_key: str | None, tofu: bool) -> str:
    known = state.verification.sovereign(sid)
    pinned = known.root_public_key if known is not None else None
    if pinned is not None and pinned != root:
        raise AuthoringError(f"refused: the NA's genesis names another root than the one pinned for {sid} "
                             f"({known.root_source if known else ''}); a root change is never an import")
    if root_key is not None and root_key != root:
        raise AuthoringError("refused: the NA's genesis is not rooted in the --root-key you obtained")
    if pinned is None and root_key is None and not tofu:
        raise AuthoringError(f"refused: {sid} is new here; give its root public key obtained out of band "
                             "(--root-key), or accept the genesis root as first seen (--trust-on-first-use)")
    return "pinned" if pinned else ("given" if root_key else "first seen")


def _current_na(sid: str, root: str, saved: dict[str, Saved]) -> tuple[str, str | None]:
    genesis, found = check_genesis(saved["genesis.signed.json"].value, "genesis", sid, root,
                                   other_roles={}, limits=DEFAULT_LIMITS)
    if genesis is None or not genesis.verified:
        raise AuthoringError("refused: the NA's genesis does not verify under its root",
                             tuple(f for f in found if f.severity.value == "error"))
    history_raw = saved["key-history.json"].value if "key-history.json" in saved else None
    history, _ = build_key_history(genesis, history_raw, "key-history", sid)
    current = history.current
    assert current is not None
    return current.public_key, current.key_id


def plan_import(state: RepoState, folder: Path, *, root_key: str | None = None, tofu: bool = False) -> Plan:
    saved = read_saved(folder)
    single = read_rows(folder)
    sid, root = _consistency(saved, single)
    how = _pin(state, sid, root, root_key, tofu)
    na_key, na_id = _current_na(sid, root, saved)
    base = state.folder(sid)
    writes: dict[str, bytes] = {f"{base}/{name}": item.data for name, item in saved.items()}
    listed = list(saved["recognition-treaties.json"].value.get("recognition_treaties") or []) \
        if "recognition-treaties.json" in saved else []
    known = {r["treaty"].get("treaty_id") for r in listed}
    extra = [r for r in single if r["treaty"].get("treaty_id") not in known]
    if extra:
        writes[f"{base}/recognition-treaties.json"] = dump(build_rows(listed + extra))
    for row in listed + extra:
        treaty_id = row["treaty"].get("treaty_id")
        if isinstance(treaty_id, str) and is_safe_id(treaty_id):
            writes[f"{base}/treaties/{treaty_id}.json"] = dump(row["treaty"])
    signatures = saved["genesis.signed.json"].value.get("signatures")
    first = signatures[0] if isinstance(signatures, list) and signatures else None
    root_id = first.get("key_id") if isinstance(first, dict) else None   # a label only (key_file_label)
    writes[f"{base}/keys/root.pub"] = format_public_key_file(root, "root", root_id).encode("ascii")
    writes[f"{base}/keys/na.pub"] = format_public_key_file(na_key, "network-authority", na_id).encode("ascii")
    lock = state.read_root_file(LOCK_FILE)
    if lock is not None and sid not in (lock.get("sovereigns") or {}):
        pins = dict(lock.get("sovereigns") or {})
        pins[sid] = {"root_public_key": root, "first_seen_commit": None, "first_seen_at": None}
        writes[LOCK_FILE] = dump({**lock, "sovereigns": dict(sorted(pins.items()))})
    unchanged = {p for p, data in writes.items() if state.path(p).is_file() and state.path(p).read_bytes() == data}
    writes = {p: d for p, d in writes.items() if p not in unchanged}
    endpoints = ", ".join(f"/{ENDPOINTS[n][0]}" for n in sorted(saved))
    if extra:
        endpoints += f" and {len(extra)} single row(s)"
    return Plan(writes, (f"imported {sid} from {endpoints} (root {how}); {len(writes)} file(s) changed, "
                         f"{len(unchanged)} already up to date",))


__all__ = ["plan_import", "read_saved"]
