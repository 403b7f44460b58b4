"""Verify one sovereign folder from its bytes: pure, time-independent, safe to run in a worker.

Pipeline (each step reports findings and never raises on content):
  layout -> strict JSON -> redaction -> pinned root (trust.lock, else keys/root.pub)
  -> genesis (root-signed) -> NA key history (root-signed successions)
  -> sovereign.json -> roll call -> treaties and rows -> revocation feed -> policies.
Judgements that depend on the evaluation time (lifecycle, the vouching horizon) and on other
sovereigns (treaty subjects, foreign keys) belong to `publisher.verify.coalition`.
"""
from __future__ import annotations

import dataclasses
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable, Mapping, Sequence

from publisher.canonical import canonical_bytes
from publisher.checks.cosigners import check_cosigners, check_threshold
from publisher.checks.feed import check_feed
from publisher.checks.genesis import check_genesis
from publisher.checks.identity import check_identity
from publisher.checks.key_history import build_key_history
from publisher.checks.policies import check_policy_manifest, check_recognition_policy
from publisher.checks.redaction import scan_bytes, scan_key_files
from publisher.checks.roll_call import check_roll_call
from publisher.checks.signatures import Unexplained
from publisher.checks.treaties import check_rows, check_treaty
from publisher.findings import Finding, finding
from publisher.history.rotation import follow_rotations
from publisher.keyfile import parse_public_key_file
from publisher.layout import (REQUIRED_SOVEREIGN_FILES, TRUST_PATHS, classify_sovereign_file, deceptive_text,
                              is_safe_id, shown_name, undecodable)
from publisher.limits import Limits
from publisher.model import KeyHistory, Sovereign, Treaty, TreatyRow
from publisher.source import Entry
from publisher.strictjson import Refusal, load_json

JSON_KINDS = frozenset({
    "genesis", "genesis-unsigned", "sovereign", "key-history", "recognition-treaties",
    "revocation-feed", "recognition-policy", "policy-manifest", "roll-call", "recognition-treaty",
    "root-rotation", "na-cosigners",
})


@dataclass(frozen=True)
class SovereignResult:
    sovereign: Sovereign
    findings: tuple[Finding, ...]
    unexplained: tuple[Unexplained, ...] = ()


@dataclass
class _Folder:
    """Files of one folder after layout, reading and strict parsing."""

    json: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)   # kind -> (path, value)
    treaties: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    keys: dict[str, tuple[str, bytes]] = field(default_factory=dict)            # kind -> (path, bytes)
    operator_keys: list[tuple[str, bytes]] = field(default_factory=list)
    na_history_keys: list[tuple[str, bytes]] = field(default_factory=list)
    rotations: list[tuple[str, dict[str, Any]]] = field(default_factory=list)   # root-rotations/<n>.json
    files: list[str] = field(default_factory=list)


def split_undecodable(entries: list[Entry]) -> tuple[list[Entry], list[Finding]]:
    """The entries whose names are UTF-8, and one `layout.name_not_utf8` per outermost name
    that is not (a folder once, not each file in it): such a name cannot be written to a page,
    a link or a report, so nothing under it is read."""
    if all(not undecodable(e.path) for e in entries):
        return entries, []
    kept: list[Entry] = []
    refused: dict[str, Finding] = {}
    for entry in entries:
        if not undecodable(entry.path):
            kept.append(entry)
            continue
        parts = entry.path.split("/")
        first = next(i for i, part in enumerate(parts) if undecodable(part))
        where = "/".join(parts[: first + 1])
        refused.setdefault(where, finding(shown_name(where), "", "layout.name_not_utf8",
                                          f"name {shown_name(parts[first])!r} is not UTF-8; not read"))
    return kept, list(refused.values())


def _folded(path: str) -> str:
    """The name a case-insensitive, normalization-insensitive file system gives `path`."""
    return path.lower() if path.isascii() else unicodedata.normalize("NFC", path).casefold()


def case_collisions(paths: Sequence[str]) -> list[Finding]:
    """One `layout.case_collision` for each path (a file, or a folder: `Treaties/` beside
    `treaties/` merges their files) that folds to the same name as another in its folder: a
    case-insensitive checkout keeps one, and a hostile one could hide a newer document there."""
    folders: set[str] = set()
    for parent in {path.rpartition("/")[0] for path in paths}:
        while parent and parent not in folders:
            folders.add(parent)
            parent = parent.rpartition("/")[0]
    # Files and folders together: a file `Treaties` beside the folder `treaties/` is one name
    # there too, and git replaces whichever it wrote first (a folder with its documents).
    names = folders | set(paths)
    if len({_folded(name) for name in names}) == len(names):
        return []                    # the common case: no two names fold together
    out: list[Finding] = []
    seen: dict[str, str] = {}
    for path in sorted(names):
        first = seen.setdefault(_folded(path), path)
        if first != path and first.rpartition("/")[0] == path.rpartition("/")[0]:
            out.append(finding(path, "", "layout.case_collision",
                               f"differs from {first!r} only by case or Unicode normalization; a case-insensitive "
                               "checkout keeps only one of them"))
    return out


def root_case_collisions(names: Sequence[str]) -> list[Finding]:
    """One `layout.case_collision` for each name at the top of the repository that folds to a
    trust path's name without being it (`Sovereigns/`, `TRUST.LOCK`): verification never reads
    it, and a case-insensitive checkout merges it into the one it does read."""
    trusted = {_folded(path): path for path in TRUST_PATHS}
    return [finding(name, "", "layout.case_collision",
                    f"differs from {trusted[_folded(name)]!r} only by case or Unicode normalization; a "
                    f"case-insensitive checkout merges it into {trusted[_folded(name)]!r}, which is verified")
            for name in sorted(names) if name not in TRUST_PATHS and _folded(name) in trusted]


def _read_folder(sovereign_id: str, entries: list[Entry], read: Callable[[str], bytes],
                 limits: Limits, out: list[Finding]) -> _Folder:
    folder = _Folder()
    prefix = f"sovereigns/{sovereign_id}/"
    for count, entry in enumerate(entries):
        if count >= limits.max_files_per_sovereign:
            out.append(finding(entry.path, "", "limits.too_many_files",
                               f"more than {limits.max_files_per_sovereign} files; the rest were not read"))
            break
        if entry.type == "symlink":
            code = "layout.symlink_escape" if entry.escapes else "layout.symlink"
            out.append(finding(entry.path, "", code, "symbolic link not followed"))
            continue
        if entry.type != "file":
            out.append(finding(entry.path, "", "layout.not_regular", "not a regular file"))
            continue
        relative = entry.path[len(prefix):]
        kind = classify_sovereign_file(relative)
        if entry.size > limits.max_file_bytes:
            out.append(finding(entry.path, "", "limits.file_too_large",
                               f"{entry.size} bytes (limit {limits.max_file_bytes}); not read"))
            continue
        try:
            data = read(entry.path)
        except OSError as exc:
            out.append(finding(entry.path, "", "layout.unreadable", f"{type(exc).__name__}: {exc.strerror or exc}"))
            continue
        folder.files.append(entry.path)
        parsed: Any = None
        if kind in JSON_KINDS:
            value = load_json(data, limits)
            if isinstance(value, Refusal):
                out.append(finding(entry.path, "", value.code, value.message))
            elif not isinstance(value, dict):
                out.append(finding(entry.path, "", "json.not_object",
                                   f"expected a JSON object, found {type(value).__name__}"))
            else:
                parsed = value
        out.extend(scan_bytes(entry.path, data, parsed))
        if kind is None:
            out.append(finding(entry.path, "", "layout.unexpected_file",
                               f"{relative!r} is not part of the sovereign folder layout"))
        elif kind == "recognition-treaty" and parsed is not None:
            folder.treaties.append((entry.path, parsed))
        elif kind in ("key-root", "key-na"):
            folder.keys[kind] = (entry.path, data)
        elif kind == "key-operator":
            folder.operator_keys.append((entry.path, data))
        elif kind == "key-na-history":
            folder.na_history_keys.append((entry.path, data))
        elif kind == "root-rotation" and parsed is not None:
            folder.rotations.append((entry.path, parsed))
        elif parsed is not None:
            folder.json[kind] = (entry.path, parsed)
    return folder


def _key_file(path: str, data: bytes, out: list[Finding]) -> str | None:
    key = parse_public_key_file(data)
    if key is None:
        out.append(finding(path, "", "key.file_malformed",
                           "expected '#' comment lines and one standard base64 32-byte public key"))
    return key


def _key_values(folder: _Folder) -> dict[str, str]:
    """Parsed public-key file values by path (unparseable files are left out)."""
    files = list(folder.keys.values()) + folder.operator_keys + folder.na_history_keys
    values = {path: parse_public_key_file(data) for path, data in files}
    return {path: value for path, value in values.items() if value}


def verify_sovereign(sovereign_id: str, entries: list[Entry], read: Callable[[str], bytes],
                     lock_pin: str | None, limits: Limits) -> SovereignResult:
    """Verify `sovereigns/<sovereign_id>/` given its entries and a reader for their bytes."""
    out: list[Finding] = []
    unexplained: list[Unexplained] = []
    base = f"sovereigns/{sovereign_id}"
    if not is_safe_id(sovereign_id):
        out.append(finding(base, "", "layout.unsafe_id",
                           f"folder name {sovereign_id[:80]!r} is not a safe sovereign id"))
    deceptive = deceptive_text(sovereign_id)
    if deceptive:
        out.append(finding(base, "", "layout.deceptive_text", f"folder name {deceptive}"))
    out.extend(case_collisions([e.path for e in entries[:limits.max_files_per_sovereign]]))
    folder = _read_folder(sovereign_id, entries, read, limits, out)
    present = {p[len(base) + 1:] for p in folder.files}
    for required in REQUIRED_SOVEREIGN_FILES:
        if required not in present:
            out.append(finding(f"{base}/{required}", "", "layout.missing_file", f"{required} is required"))

    root_file = _key_file(*folder.keys["key-root"], out) if "key-root" in folder.keys else None
    na_file = _key_file(*folder.keys["key-na"], out) if "key-na" in folder.keys else None
    operator_keys = [k for k in (_key_file(p, d, out) for p, d in folder.operator_keys) if k]
    for path, _ in folder.operator_keys:
        out.append(finding(path, "", "key.operator_file", "operator public key published"))
    # A pinned root moves only along root rotation records signed by the old and the new root.
    rotated = follow_rotations(lock_pin, folder.rotations, sovereign_id) if lock_pin else None
    out.extend(rotated.findings if rotated else ())
    root = (rotated.root if rotated else None) or root_file
    root_source = "trust.lock" if lock_pin else ("keys/root.pub" if root_file else "none")
    if lock_pin and root_file and root_file not in (lock_pin, root):
        out.append(finding(folder.keys["key-root"][0], "", "lock.root_mismatch",
                           "keys/root.pub differs from the root key pinned in trust.lock"))
    other_roles: dict[str, str] = {k: "operator key" for k in operator_keys}
    if root:
        other_roles[root] = "root key"

    genesis = None
    history = KeyHistory(())
    if "genesis" in folder.json:
        path, raw = folder.json["genesis"]
        genesis, found = check_genesis(raw, path, sovereign_id, root, other_roles=other_roles, limits=limits)
        out.extend(found)
        if "genesis-unsigned" in folder.json:
            upath, uraw = folder.json["genesis-unsigned"]
            if canonical_bytes({**raw, "signatures": []}) != canonical_bytes(uraw):
                out.append(finding(upath, "", "genesis.unsigned_mismatch",
                                   "differs from genesis.signed.json without its signatures"))
    if genesis is not None:
        kh_path, kh_raw = folder.json.get("key-history", (f"{base}/key-history.json", None))
        history, found = build_key_history(genesis, kh_raw, kh_path, sovereign_id, limits)
        out.extend(found)
    for key in history.public_keys:
        other_roles.pop(key, None)
        if key == root or key in operator_keys:
            out.append(finding(genesis.path if genesis else base, "", "key.role_reuse",
                               "an NA key of the history is also used as root or operator key"))
    if "na-cosigners" in folder.json:
        path, raw = folder.json["na-cosigners"]
        cosigners, found = check_cosigners(raw, path, sovereign_id, root, history,
                                           other_roles=other_roles, limits=limits)
        out.extend(found)
        history = dataclasses.replace(history, cosigners=cosigners)
        other_roles.update({c.public_key: "co-signer key (co-signers never sign alone)" for c in cosigners})
    known = {k for k in (root, root_file, genesis.root_public_key if genesis else None,
                         genesis.na_public_key if genesis else None) if k}
    known |= set(history.public_keys) | set(operator_keys) | set(other_roles)
    vouched = {genesis.root_public_key, genesis.na_public_key, *history.public_keys} \
        if genesis is not None and genesis.verified else set()
    out.extend(scan_key_files(_key_values(folder), known, vouched))
    if history.current:
        published = [(folder.keys["key-na"][0], na_file)] if na_file else []
        published += [(p, k) for p, k in ((p, _key_file(p, d, out)) for p, d in folder.na_history_keys) if k]
        for path, key in published:
            if key not in history.public_keys:
                out.append(finding(path, "", "key.na_file_mismatch",
                                   "this public key is not an NA key of the verified key history"))
        held, current = (history.key_for(na_file) if na_file else None), history.current
        if held is not None and current is not None and na_file != current.public_key:
            out.append(finding(folder.keys["key-na"][0], "", "key.na_file_not_current",
                               f"keys/na.pub holds NA key #{held.sequence}; the current key is #{current.sequence}"))

    identity = None
    if "sovereign" in folder.json:
        path, raw = folder.json["sovereign"]
        identity, found = check_identity(raw, path, sovereign_id, genesis, history)
        out.extend(found)

    def signed(kind: str, check: Callable[..., tuple[Any, list[Finding], Unexplained | None]],
               **extra: Any) -> Any:
        """Check the folder's NA-signed document of `kind`, if any, collecting what it reports."""
        if kind not in folder.json:
            return None
        path, raw = folder.json[kind]
        model, found, unexp = check(raw, path, sovereign_id, history, other_roles=other_roles,
                                    limits=limits, **extra)
        out.extend(found)
        if unexp:
            unexplained.append(unexp)
        return model

    roll_call = signed("roll-call", check_roll_call)
    if "roll-call" not in folder.json:
        out.append(finding(f"{base}/roll-call.json", "", "rollcall.missing",
                           "no roll-call.json: readers cannot see who operates this sovereign"))
    out.extend(check_threshold(roll_call, history))
    threshold = roll_call.signature_threshold or 1 if roll_call else 1

    treaties, found, unexp = _check_treaties(sovereign_id, folder, history, other_roles, limits, threshold)
    out.extend(found)
    unexplained += unexp

    feed = signed("revocation-feed", check_feed, threshold=threshold)
    policy = signed("policy-manifest", check_policy_manifest)
    recognition_policy = None
    if "recognition-policy" in folder.json:
        path, recognition_policy = folder.json["recognition-policy"]
        out.extend(check_recognition_policy(recognition_policy, path, sovereign_id))

    sovereign = Sovereign(
        id=sovereign_id, root_public_key=root, root_source=root_source, genesis=genesis,
        key_history=history, identity=identity, treaties=treaties, feed=feed, roll_call=roll_call,
        policy_manifest=policy, recognition_policy=recognition_policy,
        operator_keys=tuple(sorted(operator_keys)), files=tuple(sorted(folder.files)),
    )
    return SovereignResult(sovereign, tuple(out), tuple(unexplained))


def _check_treaties(sovereign_id: str, folder: _Folder, history: KeyHistory, other_roles: Mapping[str, str],
                    limits: Limits, threshold: int
                    ) -> tuple[tuple[Treaty, ...], list[Finding], list[Unexplained]]:
    """Every treaty file, then the rows of recognition-treaties.json: a row's embedded treaty
    with no file of its own is checked as well, so a treaty published only as a row is never
    taken on trust. One treaty per id; each carries its row's lifecycle."""
    out: list[Finding] = []
    unexplained: list[Unexplained] = []
    by_id: dict[str, Treaty] = {}

    def add(treaty: Treaty | None) -> None:
        if treaty is None:
            return
        if treaty.treaty_id in by_id:
            out.append(finding(treaty.path, "/treaty_id", "treaty.duplicate_id",
                               f"treaty id {treaty.treaty_id[:80]!r} is also used by {by_id[treaty.treaty_id].path}"))
            return
        by_id[treaty.treaty_id] = treaty

    for path, raw in sorted(folder.treaties, key=lambda item: item[0]):
        treaty, found, unexp = check_treaty(raw, path, sovereign_id, history, other_roles=other_roles,
                                            limits=limits, threshold=threshold)
        out.extend(found)
        unexplained += [unexp] if unexp else []
        if treaty is not None and path.rsplit("/", 1)[-1] != f"{treaty.treaty_id}.json":
            out.append(finding(path, "/treaty_id", "treaty.filename_mismatch",
                               f"expected the file to be named {treaty.treaty_id[:80]}.json"))
        add(treaty)
    rows: dict[str, TreatyRow] = {}
    if "recognition-treaties" in folder.json:
        rows_path, rows_raw = folder.json["recognition-treaties"]
        rows, orphans, found = check_rows(rows_raw, rows_path, by_id)
        out.extend(found)
        for where, body in orphans:
            treaty, found, unexp = check_treaty(body, rows_path, sovereign_id, history, other_roles=other_roles,
                                                limits=limits, threshold=threshold, where=where)
            out.extend(found)
            unexplained += [unexp] if unexp else []
            add(treaty)
    treaties = tuple(
        dataclasses.replace(t, row=rows.get(t.treaty_id)) if t.treaty_id in rows else t
        for t in sorted(by_id.values(), key=lambda t: t.treaty_id)
    )
    return treaties, out, unexplained
