"""The verified model: frozen values the site, review and exports read.

Built once from the documents by `publisher.verify`; nothing here does I/O or verification.
Every document keeps its raw mapping (excluded from equality) so signatures can always be
re-checked over exactly what was received. Collections are tuples sorted with explicit keys.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from collections.abc import Mapping

from publisher.timestamps import wrapper_text

HANDOVER = timedelta(seconds=300)          # genesis-mesh SUCCESSION_HANDOVER
VOUCHING_GRACE = timedelta(hours=24)       # genesis-mesh SUCCESSION_VOUCHING_GRACE


@dataclass(frozen=True)
class NaKey:
    """One NA key of the verified history and the times a record may carry its signature."""

    sequence: int
    public_key: str
    key_id: str | None
    valid_from: datetime | None        # None: the genesis key, valid from the start
    succeeded_at: datetime | None      # next succession's effective_at
    valid_to: datetime | None
    valid_to_enforced: bool            # False for the genesis key (FORMATS §3)

    def accepts(self, at: datetime) -> bool:
        """True when a record dated `at` may be signed by this key (with the 300 s hand-over)."""
        if self.valid_from is not None and at < self.valid_from:
            return False
        if self.succeeded_at is not None and at - self.succeeded_at >= HANDOVER:
            return False
        if self.valid_to_enforced and self.valid_to is not None and at >= self.valid_to:
            return False
        return True

    @property
    def end(self) -> datetime | None:
        ends = [t for t in (self.succeeded_at, self.valid_to if self.valid_to_enforced else None) if t]
        return min(ends) if ends else None

    def vouches_at(self, now: datetime) -> bool:
        """False once the key ended more than hand-over + 24 h before `now` (1.8.0 horizon).
        Written as a difference: `end + 24 h` overflows for a key ending in 9999 (hostile input)."""
        end = self.end
        return end is None or now - end < HANDOVER + VOUCHING_GRACE


@dataclass(frozen=True)
class CoSigner:
    """An extra NA key declared by the root (na-cosigners.json) for k-of-n documents."""

    public_key: str
    key_id: str
    valid_from: datetime
    valid_to: datetime

    def accepts(self, at: datetime) -> bool:
        return self.valid_from <= at < self.valid_to


@dataclass(frozen=True)
class KeyHistory:
    keys: tuple[NaKey, ...]
    cosigners: tuple[CoSigner, ...] = ()   # count toward a threshold only, never alone

    def keys_at(self, at: datetime) -> tuple[NaKey, ...]:
        return tuple(k for k in self.keys if k.accepts(at))

    def cosigners_at(self, at: datetime) -> tuple[CoSigner, ...]:
        return tuple(c for c in self.cosigners if c.accepts(at))

    def key_for(self, public_key: str) -> NaKey | None:
        return next((k for k in self.keys if k.public_key == public_key), None)

    @property
    def current(self) -> NaKey | None:
        return self.keys[-1] if self.keys else None

    @property
    def public_keys(self) -> tuple[str, ...]:
        return tuple(k.public_key for k in self.keys)


@dataclass(frozen=True)
class Genesis:
    path: str
    network_name: str
    network_version: str
    root_public_key: str
    na_public_key: str
    na_valid_from: datetime | None
    na_valid_to: datetime | None
    bootstrap_anchors: tuple[tuple[str, str], ...]
    verified: bool
    digest: str                        # sha256: of canonical JSON of the whole signed block
    raw: Mapping[str, Any] = field(compare=False, repr=False)


@dataclass(frozen=True)
class TreatyRow:
    """The issuer's unsigned row state for a treaty (recognition-treaties.json)."""

    status: str
    revoked_at: str | None
    revocation_reason: str | None
    reissued_from: str | None = None
    superseded_by: str | None = None


@dataclass(frozen=True)
class Treaty:
    path: str
    treaty_id: str
    issuer: str
    subject: str
    subject_public_keys: tuple[str, ...]
    allowed_roles: tuple[str, ...]
    accepted_statuses: tuple[str, ...]
    claims: Mapping[str, Any] = field(compare=False, repr=False)
    status: str = "active"
    issued_at: datetime | None = None
    valid_from: datetime | None = None
    expires_at: datetime | None = None
    issued_by: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    verified: bool = False
    signer: str | None = None          # NA public key whose signature verified
    row: TreatyRow | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # (field, "+02:00"): a time signed with a non-UTC offset, which genesis-mesh's unsigned
    # wrappers keep (FORMATS §1.5); kept here because slim models drop `raw`.
    offsets: tuple[tuple[str, str], ...] = ()

    def wrapper_time(self, name: str) -> str | None:
        """issued_at, valid_from or expires_at as genesis-mesh's wrappers write it (isoformat)."""
        moment = getattr(self, name)
        return None if moment is None else wrapper_text(moment, dict(self.offsets).get(name))


@dataclass(frozen=True)
class RevocationFeed:
    path: str
    feed_id: str
    sequence: int
    issued_at: datetime | None
    revoked_ids: tuple[str, ...]
    reasons: Mapping[str, str] = field(compare=False)
    grant_ids: tuple[str, ...] | None = None
    verified: bool = False
    signer: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Party:
    name: str
    roles: tuple[str, ...]
    holds_keys: tuple[str, ...]
    contact: str | None = None
    url: str | None = None
    assistance_notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RollCall:
    path: str
    custody_model: str
    parties: tuple[Party, ...]
    issued_at: datetime | None
    signature_threshold: int | None
    verified: bool
    raw: Mapping[str, Any] = field(compare=False, repr=False)
    signer: str | None = None


@dataclass(frozen=True)
class Identity:
    """sovereign.json: unsigned, descriptive only (endpoints are reachability hints)."""

    path: str
    display_name: str | None
    endpoints: tuple[str, ...]
    metadata: Mapping[str, Any] = field(compare=False, repr=False)
    raw: Mapping[str, Any] = field(compare=False, repr=False)


@dataclass(frozen=True)
class SignedDocument:
    """An NA-signed document kept as published (policy manifest)."""

    path: str
    kind: str
    verified: bool
    raw: Mapping[str, Any] = field(compare=False, repr=False)
    signer: str | None = None


@dataclass(frozen=True)
class Sovereign:
    id: str
    root_public_key: str | None
    root_source: str                   # "trust.lock" | "keys/root.pub" | "none"
    genesis: Genesis | None
    key_history: KeyHistory
    identity: Identity | None
    treaties: tuple[Treaty, ...]
    feed: RevocationFeed | None
    roll_call: RollCall | None
    policy_manifest: SignedDocument | None
    recognition_policy: Mapping[str, Any] | None = field(compare=False, repr=False)
    operator_keys: tuple[str, ...] = ()
    files: tuple[str, ...] = ()

    @property
    def display_name(self) -> str:
        if self.identity and self.identity.display_name:
            return self.identity.display_name
        return self.id

    @property
    def verified(self) -> bool:
        return self.genesis is not None and self.genesis.verified


@dataclass(frozen=True)
class Member:
    sovereign_id: str
    handshake_url: str | None = None
    genesis_sha256: str | None = None
    note: str | None = None
    # Where coalition.json lists it (None: not from the file): a finding's pointer names this
    # entry, not its place among the entries that were kept.
    index: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Coalition:
    name: str
    description: str
    operator: Mapping[str, Any] = field(compare=False)
    members: tuple[Member, ...] = ()
    change_channel: str | None = None
    site_url: str | None = None
    docs_url: str | None = None
    notice_commitments: tuple[Mapping[str, Any], ...] = field(default=(), compare=False)
    surfaces: Mapping[str, Any] = field(default_factory=dict, compare=False)
    fingerprint: str = ""
    declared: bool = True              # False when there is no coalition.json
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
