"""What a signer signs, and adding one signature to a published document.

`describe` names a repository file's kind (from `publisher.layout`), the exact canonical bytes
its signatures cover (`publisher.canonical.signed_bytes`), the key role and keys the verifier
will accept (NA history keys valid at issued_at, root-declared co-signers, the threshold; or
the pinned root), and which present signatures verify under which of them. `plan_sign`
appends one signature without touching anything else (one signer at a time, as a pull
request), so the bytes shown are the bytes signed; it refuses a key the verifier would not
count, a second signature by the same key, and a payload other than the one reviewed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from publisher import crypto, timestamps
from publisher.authoring import AuthoringError
from publisher.authoring.documents import dump
from publisher.authoring.keys import Signer
from publisher.authoring.state import RepoState
from publisher.authoring.writer import Plan
from publisher.canonical import sha256_hex, signed_bytes
from publisher.layout import classify_sovereign_file, split_sovereign_path
from publisher.model import Sovereign

# layout kind -> (kind of the signed bytes, signing role)
SIGNABLE = {
    "genesis": ("genesis-block", "root"),
    "recognition-treaty": ("recognition-treaty", "network-authority"),
    "revocation-feed": ("revocation-feed", "network-authority"),
    "roll-call": ("roll-call", "network-authority"),
    "policy-manifest": ("policy-manifest", "network-authority"),
    "na-cosigners": ("na-cosigners", "root"),
}
THRESHOLD_KINDS = frozenset({"recognition-treaty", "revocation-feed"})


@dataclass(frozen=True)
class AllowedKey:
    label: str
    public_key: str
    key_id: str | None = None
    cosigner: bool = False


@dataclass(frozen=True)
class Payload:
    path: str
    kind: str
    role: str
    sovereign_id: str
    document: dict[str, Any]
    payload: bytes
    threshold: int
    allowed: tuple[AllowedKey, ...]
    signed_by: tuple[tuple[int, str, str | None], ...]    # (index, key_id, label of verifying key)

    @property
    def sha256(self) -> str:
        return sha256_hex(self.payload)

    def requirement(self) -> str:
        if self.role == "root":
            return f"every signature by the pinned root key of {self.sovereign_id}"
        need = f"a signature by the NA key of {self.sovereign_id} valid at issued_at " \
               f"{self.document.get('issued_at')}"
        if self.threshold > 1:
            need += f", and {self.threshold} distinct keys in all (NA key plus root-declared co-signers)"
        return need


def _relative(state: RepoState, path: str) -> str:
    from pathlib import Path
    full = Path(path).resolve()
    try:
        return full.relative_to(state.root).as_posix()
    except ValueError as exc:
        raise AuthoringError(f"{path} is not inside the repository {state.root}") from exc


def _allowed(sovereign: Sovereign, role: str, document: dict[str, Any], kind: str) -> tuple[AllowedKey, ...]:
    if role == "root":
        return (AllowedKey("root key", sovereign.root_public_key, "root"),) if sovereign.root_public_key else ()
    at = timestamps.parse(document.get("issued_at"))
    if at is None:
        return ()
    history = sovereign.key_history
    keys = [AllowedKey(f"NA key #{k.sequence} ({k.key_id or 'no key id'})", k.public_key,
                       k.key_id or f"na-key-{k.sequence}") for k in history.keys_at(at)]
    if kind in THRESHOLD_KINDS:
        keys += [AllowedKey(f"co-signer {c.key_id}", c.public_key, c.key_id, True) for c in history.cosigners_at(at)]
    return tuple(keys)


def describe(state: RepoState, path: str) -> Payload:
    """The signing facts of a repository file (see module docstring)."""
    relative = _relative(state, path)
    split = split_sovereign_path(relative)
    layout_kind = classify_sovereign_file(split[1]) if split else None
    if split is None or layout_kind not in SIGNABLE:
        raise AuthoringError(f"{relative} is not a signed document of the layout (genesis, treaty, feed, "
                             "roll call, policy manifest, co-signer declaration)")
    kind, role = SIGNABLE[layout_kind]
    document = state.read_json(relative)
    if document is None:
        raise AuthoringError(f"{relative} does not exist")
    sovereign = state.verification.sovereign(split[0])
    if sovereign is None:
        raise AuthoringError(f"no sovereign {split[0]!r} in {state.root}")
    threshold = 1
    if kind in THRESHOLD_KINDS and sovereign.roll_call and sovereign.roll_call.signature_threshold:
        threshold = sovereign.roll_call.signature_threshold
    payload = signed_bytes(document, kind)
    allowed = _allowed(sovereign, role, document, kind)
    signed_by = []
    for index, item in enumerate(document.get("signatures") or []):
        sig = crypto.decode_signature(item.get("sig")) if isinstance(item, dict) else None
        label = next((k.label for k in allowed if sig is not None and crypto.verify(k.public_key, payload, sig)), None)
        signed_by.append((index, str(item.get("key_id")) if isinstance(item, dict) else "?", label))
    return Payload(relative, kind, role, sovereign.id, document, payload, threshold, allowed, tuple(signed_by))


def plan_sign(state: RepoState, path: str, signer: Signer, *, key_id: str | None = None,
              expect_sha256: str | None = None) -> Plan:
    info = describe(state, path)
    state.sovereign(info.sovereign_id)      # refuses a sovereign whose key chain does not verify
    if expect_sha256 is not None and expect_sha256.lower().removeprefix("sha256:") != info.sha256:
        raise AuthoringError(f"refused: the payload's sha256 is {info.sha256}, not the {expect_sha256} you "
                             "reviewed; run show-payload again")
    match = next((k for k in info.allowed if k.public_key == signer.public_key), None)
    if match is None:
        raise AuthoringError(f"refused: {signer.path} ({signer.fingerprint}) is not a key the verifier counts "
                             f"for {info.path}: it needs {info.requirement()}")
    if any(label == match.label for _, _, label in info.signed_by):
        raise AuthoringError(f"refused: {info.path} already carries a signature by {match.label}")
    label = key_id or signer.key_id or match.key_id or signer.fingerprint
    document = dict(info.document)
    document["signatures"] = list(document.get("signatures") or []) + [signer.signature(document, info.kind, label)]
    writes = {info.path: dump(document)}
    if info.kind == "recognition-treaty":
        writes.update(_row_copy(state, info, document))
    return Plan(writes, (f"{info.path}: signed by {match.label} ({signer.fingerprint}); payload sha256 {info.sha256}",),
                signer.leak_markers())


def _row_copy(state: RepoState, info: Payload, document: dict[str, Any]) -> dict[str, bytes]:
    """A treaty's row in recognition-treaties.json carries the same signed body: update it too."""
    rows_path = f"{state.folder(info.sovereign_id)}/recognition-treaties.json"
    rows = state.read_json(rows_path)
    if rows is None:
        return {}
    found = rows.get("recognition_treaties")
    items: list[Any] = found if isinstance(found, list) else []
    changed = False
    for row in items:
        if isinstance(row, dict) and isinstance(row.get("treaty"), dict) \
                and row["treaty"].get("treaty_id") == document.get("treaty_id"):
            row["treaty"] = document
            changed = True
    return {rows_path: dump(rows)} if changed else {}
