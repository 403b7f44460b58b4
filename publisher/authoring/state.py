"""The repository as an authoring operation sees it: verified model plus raw documents.

`load_state` verifies the repository once at the operation's time; operations then ask for a
verified sovereign, its raw files, and which key the verifier will accept from a signer.
Reads only; refuses (AuthoringError) when what an operation builds on does not verify.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from publisher.authoring import AuthoringError
from publisher.authoring.keys import Signer
from publisher.cache import Cache
from publisher.layout import ROOT_FILES, SOVEREIGNS_DIR
from publisher.model import NaKey, Sovereign
from publisher.schemas import check_schema
from publisher.source import WorktreeSource
from publisher.strictjson import Refusal, load_json
from publisher.timestamps import format_z
from publisher.verify import Verification, verify_repository
from publisher.limits import DEFAULT_LIMITS, for_path


@dataclass(frozen=True)
class RepoState:
    root: Path
    at: datetime
    verification: Verification
    cache: Cache | None = None      # the repository's verification cache, for the checks after planning

    def path(self, relative: str) -> Path:
        return self.root / relative

    def read_json(self, relative: str) -> dict[str, Any] | None:
        """A repository JSON file as an object; None when absent; refuses a broken one."""
        target = self.root / relative
        if not target.is_file():
            return None
        value = load_json(target.read_bytes(), for_path(DEFAULT_LIMITS, relative))
        if isinstance(value, Refusal) or not isinstance(value, dict):
            reason = value.message if isinstance(value, Refusal) else "not a JSON object"
            raise AuthoringError(f"refused: {relative} does not parse ({reason}); fix it first")
        return value

    def read_root_file(self, relative: str) -> dict[str, Any] | None:
        """trust.lock or coalition.json as an object that passes its schema; None when absent.
        An operation edits them in place (a new pin, a new member): read on faith, a lock whose
        `sovereigns` is a list raised a traceback where it should say what to fix."""
        value = self.read_json(relative)
        if value is None:
            return None
        problems = check_schema(ROOT_FILES[relative], value, relative)
        if problems:
            raise AuthoringError(f"refused: {relative} does not match its schema ({problems[0].message}); "
                                 "fix it first (handshake verify lists every problem)", tuple(problems))
        return value

    def folder(self, sovereign_id: str) -> str:
        return f"{SOVEREIGNS_DIR}/{sovereign_id}"

    def has_folder(self, sovereign_id: str) -> bool:
        return (self.root / self.folder(sovereign_id)).is_dir()

    def sovereign(self, sovereign_id: str) -> Sovereign:
        """The verified sovereign; refuses one that is absent or whose key chain does not verify."""
        found = self.verification.sovereign(sovereign_id)
        if found is None:
            close = difflib.get_close_matches(sovereign_id, self.verification.sovereign_ids(), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise AuthoringError(f"refused: no sovereign {sovereign_id!r} in {self.root}{hint}")
        if not found.verified or not found.key_history.keys:
            errors = [f for f in self.verification.findings
                      if f.severity.value == "error" and f.path.startswith(self.folder(sovereign_id) + "/")]
            raise AuthoringError(f"refused: {sovereign_id!r} does not verify (genesis and NA key chain); "
                                 "fix it before changing it", tuple(errors))
        return found

    def treaty_home(self, treaty_id: str) -> Sovereign:
        """The verified issuer of a treaty id."""
        owners = self.verification.treaty_issuers(treaty_id)
        if not owners:
            raise AuthoringError(f"refused: no treaty {treaty_id!r} in this repository")
        if len(owners) > 1:
            raise AuthoringError(f"refused: treaty id {treaty_id!r} is used by {len(owners)} sovereigns")
        return self.sovereign(owners[0])

    def sovereign_by_key(self, public_key: str, role: str) -> Sovereign:
        """The one sovereign whose root (role 'root') or current NA key (role 'na') this is."""
        matches = self.verification.key_holders(public_key, role)
        if len(matches) != 1:
            what = "root key" if role == "root" else "current NA key"
            raise AuthoringError(f"cannot tell the sovereign: the key is the {what} of {len(matches)} "
                                 "sovereign(s) here; name it with --sovereign")
        found = self.verification.sovereign(matches[0])
        assert found is not None, "a key's holder is one of the sovereigns"
        return found


def load_state(repo: Path, at: datetime, *, cache: Cache | None = None) -> RepoState:
    """The repository verified at `at`; with `cache` (publisher.cache), the folders verified
    before are not verified again (at 10,000 sovereigns a cold verify takes 20 s or more, and a
    command verifies three times: before, planned, written)."""
    root = repo.resolve()
    if not root.is_dir():
        raise AuthoringError(f"{root} is not a directory")
    return RepoState(root, at, verify_repository(WorktreeSource(root), at=at, cache=cache), cache)


def na_key_for(sovereign: Sovereign, signer: Signer, at: datetime) -> NaKey:
    """The NA history key `signer` holds, refusing one the verifier would not accept at `at`."""
    key = sovereign.key_history.key_for(signer.public_key)
    if key is None:
        if signer.public_key == sovereign.root_public_key:
            raise AuthoringError(f"refused: {signer.path} is {sovereign.id}'s root key; treaties, feeds "
                                 "and roll calls are signed by the network-authority key")
        raise AuthoringError(f"refused: {signer.path} ({signer.fingerprint}) is not an NA key of "
                             f"{sovereign.id}")
    if not key.accepts(at):
        raise AuthoringError(f"refused: {signer.path} is NA key #{key.sequence} of {sovereign.id}, which "
                             f"does not sign documents dated {format_z(at)} (see its key history)")
    return key


def require_root(sovereign: Sovereign, signer: Signer) -> None:
    if signer.public_key != sovereign.root_public_key:
        raise AuthoringError(f"refused: {signer.path} ({signer.fingerprint}) is not the pinned root key "
                             f"of {sovereign.id} ({sovereign.root_source})")


def key_label(key: NaKey, signer: Signer) -> str:
    """The key id to sign with: the key file's, else the history's, else a sequence label."""
    return signer.key_id or key.key_id or f"na-key-{key.sequence}"
