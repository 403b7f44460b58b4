"""Seeded random documents from the reference's own producers, for the differential test.

`generate(seed, count)` builds, from one seed, a sovereign with a genesis block and a key history
of several successions, then `count` documents of the kinds Handshake verifies (genesis,
key-history, treaty, feed, policy), each made the way genesis-mesh 1.8.1 makes it (the model the
NA route builds, `sign_model` / `sign_succession`, `model_dump_json` + Flask-jsonify or the CLI's
indent-2 writer), and about half of them changed after signing (a tampered or added field,
another serialization, a signature by another key, a duplicate key, -0, 1.0 for 1, ...). Every
document carries the reference's strict verdict (`verdicts.verdict`), the oracle the test compares
Handshake with. Everything is derived from the seed: keys, ids, names and times; the clock is
frozen at a fixed instant, so a failure reproduces from its seed.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import random
import uuid
from datetime import datetime, timedelta, timezone, UTC
from typing import Any
from collections.abc import Callable


from .keys import SeedKey
from .verdicts import Inputs, verdict

MODELS = {"treaty": "RecognitionTreaty", "feed": "SovereignRevocationFeed", "genesis": "GenesisBlock",
          "policy": "PolicyManifest"}
CLOCK = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)   # the frozen "now" of every run
ROLES = ["role:anchor", "role:bridge", "role:client", "role:operator", "role:service:billing",
         "role:service:ünïcode", "role:service:" + "x" * 200]

# Text fragments the formats allow anywhere: non-BMP, combining marks, RTL (and an override),
# controls, quotes, backslashes, "/" (never escaped by the reference), DEL, a noncharacter.
FRAGMENTS = ["alpha", "Zürich", "e\u0301", "\u05e9\u05dc\u05d5\u05dd", "\u0645\u0631\u062d\u0628\u0627",
             "\u202eevil", "\U0001f600", "\U00010348", "\u4e2d\u6587", "tab\there", "nl\nx", "q\"uote",
             "back\\slash", "a/b", "\x7f", "\x00", "\ufeff", "\uffff", "\u2028", "<script>", " ", "-", "_",
             "\U0001f1e9\U0001f1ea", "A\u030a", "\u00c5"]


def utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Gen:
    """The random choices of one seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.n = 0

    def key(self, key_id: str) -> SeedKey:
        self.n += 1
        return SeedKey(hashlib.sha256(f"handshake-differential-{self.seed}-{self.n}".encode()).digest(), key_id)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def text(self, low: int = 1, high: int = 24, *, long: bool = True) -> str:
        rng = self.rng
        roll = rng.random() * (1.0 if long else 0.9)
        if roll < 0.45:
            return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789-_.") for _ in range(rng.randint(low, high)))
        if roll < 0.9:
            return "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 4)))
        return rng.choice(["a" * 255, "b" * 256, "c" * 257, "\U0001f600" * 200, "d" * 5000])

    def ident(self) -> str:
        """An id: mostly what the NA writes (uuid4), sometimes any text."""
        return self.uuid() if self.rng.random() < 0.7 else self.text()

    def when(self, base: datetime, spread_hours: float) -> datetime:
        """A time near ``base``: whole seconds, a fraction, or a millisecond fraction."""
        t = base + timedelta(seconds=self.rng.randint(0, int(spread_hours * 3600)))
        kind = self.rng.random()
        if kind < 0.4:
            return t
        if kind < 0.7:
            return t.replace(microsecond=self.rng.randint(1, 999_999))
        return t.replace(microsecond=self.rng.choice([1, 10, 100_000, 500_000, 999_999, 123_000]))

    def json_value(self, depth: int = 0) -> Any:
        rng = self.rng
        roll = rng.random()
        if depth > 2 or roll < 0.4:
            return self.text()
        if roll < 0.55:
            return rng.choice([0, 1, -1, 2**31, 2**53 + 1, 2**63 - 1, -(2**63), 2**64 - 1, 10**19])
        if roll < 0.62:
            return rng.choice([0.5, 1.0, -2.5, 1e-07, 1e16, 3.14159, 100.0])
        if roll < 0.7:
            return rng.choice([True, False, None])
        if roll < 0.85:
            return [self.json_value(depth + 1) for _ in range(rng.randint(0, 3))]
        return {self.text(1, 8): self.json_value(depth + 1) for _ in range(rng.randint(0, 3))}


# -- serializations ---------------------------------------------------------------------------


def jsonify(doc: Any) -> bytes:
    """Flask `jsonify` as the NA serves: sorted keys, compact, ASCII escapes, trailing newline."""
    return (json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")


def cli_indent(doc: Any) -> bytes:
    """`genesis-mesh genesis sign`: indent 2 in model order, no final newline."""
    return json.dumps(doc, indent=2).encode("utf-8")


def reserialize(g: Gen, doc: Any) -> tuple[bytes, str]:
    """The same value written another way (whitespace, escapes, key order)."""
    rng = g.rng
    choice = rng.randrange(8)
    if choice == 0:
        return json.dumps(doc, indent=4, sort_keys=True).encode(), "indent 4"
    if choice == 1:
        return json.dumps(doc, ensure_ascii=False, sort_keys=True).encode("utf-8"), "raw UTF-8, no \\u escapes"
    if choice == 2:
        def shuffled(v: Any) -> Any:
            if isinstance(v, dict):
                items = list(v.items())
                rng.shuffle(items)
                return {k: shuffled(x) for k, x in items}
            if isinstance(v, list):
                return [shuffled(x) for x in v]
            return v
        return json.dumps(shuffled(doc), separators=(",", ":")).encode(), "keys in random order"
    if choice == 3:
        text = json.dumps(doc, indent=1, sort_keys=True).replace("\n", "\r\n\t")
        return (" \n" + text + " \r\n").encode(), "CRLF, tabs, surrounding whitespace"
    if choice == 4:
        text = json.dumps(doc, sort_keys=True).replace('"a', '"\\u0061').replace("/", "\\/")
        return text.encode(), "ASCII letters and '/' written as escapes"
    if choice == 5:
        text = json.dumps(doc, sort_keys=True, ensure_ascii=True)
        return text.replace("\\u00", "\\u00".upper()).encode(), "uppercase \\U00 hex escapes"
    if choice == 6:
        return b"\xef\xbb\xbf" + jsonify(doc), "UTF-8 byte-order mark"
    return json.dumps(doc, sort_keys=False, indent=2, ensure_ascii=False).encode("utf-8"), "indent 2 raw UTF-8"


# -- the reference's producers ----------------------------------------------------------------


def wire(model: Any) -> dict[str, Any]:
    """What the NA serves for a model (`_json_model`)."""
    return json.loads(model.model_dump_json())


def sign(model: Any, key: SeedKey) -> Any:
    from genesis_mesh.crypto.signing import sign_model

    model.signatures.append(sign_model(model, key.signing_key, key.key_id))
    return model


def sign_received(kind: str, doc: dict[str, Any], key: SeedKey, *, keep: bool = False) -> dict[str, Any]:
    """Sign ``doc`` as it stands (the strict path's bytes), as refimpl/cases.py does."""
    from genesis_mesh.crypto.signing import sign_data
    from genesis_mesh.models.canonical_registry import received_canonical

    model = MODELS.get(kind, kind)
    if model == "PolicyManifest":
        body = json.dumps({k: v for k, v in doc.items() if k != "signatures"}, sort_keys=True, separators=(",", ":"))
    else:
        body = received_canonical(model, doc)
    out = dict(doc)
    new = {"key_id": key.key_id, "sig": sign_data(body.encode("utf-8"), key.signing_key)}
    out["signatures"] = [*(doc.get("signatures") or []), new] if keep else [new]
    return out


class World:
    """One sovereign (genesis + successions) and a stranger, all from the seed."""

    def __init__(self, g: Gen) -> None:
        from genesis_mesh.models.genesis import BootstrapAnchor, GenesisBlock, NetworkAuthority, PolicyManifestRef
        from genesis_mesh.trust.key_succession import verify_key_history

        self.g = g
        rng = g.rng
        # At most 256 characters: the reference's own succession record refuses a longer
        # sovereign id, so no NA with a longer name can serve a key history. The version label
        # too: Handshake's bound on labels (a deliberate difference) would refuse the genesis
        # every other document of the seed is verified under.
        self.name = rng.choice(["ALPHA-NA", "beta.na", "Sovereign-" + str(g.seed), g.text(1, 30)])[:256]
        self.root = g.key(rng.choice(["rs-local", "rs-2025-q1", "root"]))
        self.keys = [g.key(rng.choice(["na-local", "na-2025-q1", "na-1"]))]
        self.stranger_root, self.stranger_na = g.key("rs-other"), g.key("na-other")
        self.start = g.when(datetime(2026, 1, 5, 9, tzinfo=UTC), 24)
        suites = rng.choice([["ed25519", "x25519"], ["ed25519"], [], ["ed25519", "x25519", "ünï"]])
        anchors = [BootstrapAnchor(id=g.text(1, 12, long=False),
                                   endpoint=f"{g.text(1, 10, long=False)}:{rng.randint(0, 65535)}")
                   for _ in range(rng.choice([0, 0, 1, 3]))]
        genesis = GenesisBlock(
            network_name=self.name, network_version=rng.choice(["v0.1", "v1.0", g.text(1, 10)])[:256],
            root_public_key=self.root.public_b64,
            network_authority=NetworkAuthority(public_key=self.keys[0].public_b64, valid_from=self.start,
                                               valid_to=self.start + timedelta(days=90)),
            allowed_crypto_suites=suites, allowed_transports=rng.choice([["quic", "wireguard"], ["tcp"]]),
            policy_manifest=PolicyManifestRef(hash=rng.choice(["sha256:placeholder", "sha256:" + "ab" * 32]),
                                              url=rng.choice([None, "https://example.org/policy", g.text(long=False)])),
            bootstrap_anchors=anchors,
        )
        self.genesis = wire(sign(genesis, self.root))
        # Successions as `na succession sign/prove` and the NA's countersignature make them.
        self.successions: list[dict[str, Any]] = []
        effective, valid_days = self.start, 60
        for _ in range(rng.choice([0, 1, 2, 2, 3, 4])):
            # the next key takes effect before this one's enforced valid_to (else succession_after_expiry)
            effective = (effective + timedelta(days=rng.randint(1, min(40, valid_days - 2)),
                                               seconds=rng.randint(0, 86399))).replace(microsecond=0)
            valid_days = rng.choice([30, 365, 3653])
            self.add_succession(effective, valid_days)
        result = verify_key_history(self.genesis, self.successions, self.root.public_b64)
        assert result.verified and result.history is not None, result.failures
        self.history = result.history
        self.key_history = self.served_history()

    def add_succession(self, effective: datetime, valid_days: int) -> None:
        from genesis_mesh.models.key_succession import KeySuccessionRecord
        from genesis_mesh.trust.key_succession import sign_succession

        g, prev = self.g, self.keys[-1]
        new = g.key(g.rng.choice([f"na-{len(self.keys) + 1}", g.text(1, 20, long=False), "na-2027"]))
        digest = None
        if self.successions:
            digest = KeySuccessionRecord.model_validate(self.successions[-1]).digest()
        record = KeySuccessionRecord(
            succession_id=g.uuid(), sovereign_id=self.name, key_sequence=len(self.keys) + 1,
            previous_key_id=prev.key_id, previous_public_key=prev.public_b64, previous_succession_digest=digest,
            new_key_id=new.key_id, new_public_key=new.public_b64, effective_at=effective,
            new_valid_to=effective + timedelta(days=valid_days),
            issued_at=effective - timedelta(seconds=g.rng.choice([0, 1, 3600, 86400 * 3])),
        )
        for key in (self.root, new, prev):
            record = sign_succession(record, key.signing_key, key.key_id)
        self.successions.append(record.to_wire())
        self.keys.append(new)

    def served_history(self) -> dict[str, Any]:
        """`GET /na/key-history` of the NA running the newest key (`KeyHistoryService.public_view`)."""
        current = self.keys[-1]
        signing = self.history.signing_key_at(CLOCK)
        return {
            "sovereign_id": self.history.sovereign_id, "root_public_key": self.history.root_public_key,
            "handover_seconds": 300, "genesis": self.genesis, "successions": self.successions,
            "keys": [{**k.to_dict(), **({"key_id": current.key_id} if k.key_id is None and k.public_key ==
                                        current.public_b64 else {}), "current": k.public_key == current.public_b64}
                     for k in self.history.keys],
            "signing_key_sequence": signing.key_sequence if signing is not None else None,
            "vouching_grace_seconds": 86400,
        }

    def dkey(self, public: str) -> SeedKey:
        return next(k for k in self.keys if k.public_b64 == public)

    def record_time(self) -> tuple[datetime, SeedKey, str]:
        """An NA record's issued_at and the key the NA signs with then; sometimes a boundary."""
        g, keys = self.g, self.history.keys
        i = g.rng.randrange(len(keys))
        k = keys[i]
        lo = k.valid_from or (self.start - timedelta(days=2))
        hi = k.succeeded_at or (lo + timedelta(days=60))
        roll = g.rng.random()
        if roll < 0.15 and k.succeeded_at is not None:
            # inside or just past the 300 s hand-over, signed by the outgoing key
            t = k.succeeded_at + timedelta(seconds=g.rng.choice([0, 1, 299, 300, 301]))
            return t, self.dkey(k.public_key), f"key {k.key_sequence} at succession+{(t - k.succeeded_at).seconds}s"
        if roll < 0.25 and k.valid_from is not None:
            t = k.valid_from - timedelta(seconds=g.rng.choice([1, 3600]))
            return t, self.dkey(k.public_key), f"key {k.key_sequence} before it took effect"
        span = max(int((hi - lo).total_seconds()) - 1, 1)
        t = g.when(lo, span / 3600)
        t = min(t, hi - timedelta(seconds=1))
        signer = self.history.signing_key_at(t) or k
        return t, self.dkey(signer.public_key), f"key {signer.key_sequence}"

    def eval_time(self, issued: datetime) -> datetime:
        roll = self.g.rng.random()
        if roll < 0.6:
            return CLOCK
        if roll < 0.8:
            return issued + timedelta(seconds=self.g.rng.randint(0, 86400 * 30))
        k = self.history.key_for(self.history.keys_at(issued)[0]) if self.history.keys_at(issued) else None
        if k is not None and k.end is not None:
            return k.end + timedelta(seconds=300 + 86400 + self.g.rng.choice([-1, 0, 1]))
        return CLOCK + timedelta(days=3650)


# -- documents --------------------------------------------------------------------------------


def make_treaty(w: World) -> tuple[dict[str, Any], SeedKey, datetime, str]:
    from genesis_mesh.models.sovereign import RecognitionTreaty, RecognitionTreatyScope

    g, rng = w.g, w.g.rng
    t, key, how = w.record_time()
    valid_from = t if rng.random() < 0.8 else t - timedelta(days=rng.randint(1, 30))   # re-issue keeps it
    statuses = rng.choice([["active"], ["active", "suspended"], ["active", "suspended", "revoked"], []])
    claims = {g.text(1, 10): g.json_value() for _ in range(rng.choice([0, 0, 1, 3]))}
    scope = RecognitionTreatyScope(allowed_roles=rng.sample(ROLES, rng.randint(0, 3)),
                                   accepted_statuses=statuses, claims=claims)
    metadata: dict[str, Any] = rng.choice([{}, {"subject_endpoint": "https://" + g.text(1, 10) + ".example",
                                                "workflow": "federation-bootstrap"}])
    if rng.random() < 0.3:
        metadata[rng.choice(["renew_of", "replace_of"])] = g.uuid()
    if rng.random() < 0.2:
        metadata[g.text(1, 8)] = g.json_value()
    treaty = RecognitionTreaty(
        treaty_id=g.ident(), issuer_sovereign_id=w.name,
        subject_sovereign_id=rng.choice(["BETA-NA", "GAMMA-NA", g.text(1, 30)]),
        subject_public_keys=[g.key("subject").public_b64 for _ in range(rng.choice([1, 1, 2, 3]))],
        scope=scope, status=rng.choice(["active"] * 8 + ["suspended", "revoked"]),
        issued_at=t, valid_from=valid_from,
        expires_at=t + timedelta(hours=rng.choice([1, 168, 2160, 24 * 3653])),
        issued_by=key.key_id, metadata=metadata, signatures=[],
    )
    return wire(sign(treaty, key)), key, t, f"treaty signed by {how}"


def make_feed(w: World) -> tuple[dict[str, Any], SeedKey, datetime, str]:
    from genesis_mesh.models.sovereign import SovereignRevocationFeed

    g, rng = w.g, w.g.rng
    t, key, how = w.record_time()
    count = rng.choice([0, 0, 1, 2, 5, 40, 300])
    ids = [g.ident() for _ in range(count)]
    reasons = {i: rng.choice(["unspecified", "key_compromise", "member_departed", g.text()])
               for i in ids if rng.random() < 0.8}
    grants = rng.choice([None, None, [], [g.uuid() for _ in range(rng.randint(1, 4))]])
    feed = SovereignRevocationFeed(
        feed_id=g.uuid(), issuer_sovereign_id=w.name,
        sequence=len(set(ids)) + (len(grants) if grants else 0) + rng.choice([0, 0, 0, 3]),
        issued_at=t, revoked_attestation_ids=ids, revocation_reasons=reasons, revoked_grant_ids=grants,
        issued_by=key.key_id, signatures=[],
    )
    return wire(sign(feed, key)), key, t, f"feed of {count} ids signed by {how}"


def make_policy(w: World) -> tuple[dict[str, Any], SeedKey, datetime, str]:
    from genesis_mesh.models.policy import PolicyManifest, RoutingConfig

    g, rng = w.g, w.g.rng
    t, key, how = w.record_time()
    extra: dict[str, Any] = {}
    if rng.random() < 0.4:
        extra["routing"] = RoutingConfig(preferred_transports=rng.choice([["quic"], [], ["tcp", "ünï"]]),
                                         max_hops=rng.choice([0, 1, 6, 255, 2**31]))
    policy = PolicyManifest(
        policy_id=rng.choice([f"policy-{w.name}-{w.genesis['network_version']}", g.text()]),
        issued_at=t, issued_by=key.key_id, min_client_version=rng.choice(["0.1.0", g.text(1, 8)]),
        allowed_ports=rng.choice([[443, 8443], [], [0, 65535], [22]]),
        allowed_services=rng.choice([["service-1", "service-2"], [], [g.text() for _ in range(3)]]), **extra,
    )
    return wire(sign(policy, key)), key, t, f"policy signed by {how}"


# -- mutations after signing --------------------------------------------------------------------

TIMESTAMP_FIELDS = {"treaty": ("issued_at", "valid_from", "expires_at"), "feed": ("issued_at",),
                    "policy": ("issued_at",), "genesis": ()}


def ts_variant(g: Gen, value: str) -> tuple[str, str]:
    """A timestamp the reference's own writer never produces, or one it does (for control)."""
    base = value[:-1] if value.endswith("Z") else value
    whole, _, frac = base.partition(".")
    choice = g.rng.randrange(9)
    if choice == 0:
        return base + "+00:00", "+00:00"
    if choice == 1:
        return whole + ".000000Z", ".000000 fraction"
    if choice == 2:
        return whole + "." + (frac or "000000")[:3] + "Z", "3-digit fraction"
    if choice == 3:
        return base, "naive (no offset)"
    if choice == 4:
        moved = datetime.fromisoformat(whole).replace(tzinfo=UTC).astimezone(timezone(timedelta(hours=2)))
        return moved.isoformat().replace(".000000", ""), "+02:00 offset, same instant"
    if choice == 5:
        return base.replace("T", " ") + "Z", "space for T"
    if choice == 6:
        return base + "z", "lowercase z"
    if choice == 7:
        return whole + "." + (frac or "0") + "0Z", "7-digit fraction"
    return value, "unchanged timestamp"


def mutate(g: Gen, kind: str, doc: dict[str, Any], key: SeedKey, w: World) -> tuple[dict[str, Any] | bytes, str]:
    """One change after signing; returns the new value (or raw bytes) and what was done."""
    rng = g.rng
    resign = rng.random() < 0.5
    signer = w.root if kind == "genesis" else key

    def done(value: dict[str, Any], what: str) -> tuple[dict[str, Any], str]:
        if resign:
            return sign_received(kind, value, signer), what + ", re-signed"
        return value, what + ", after signing"

    d = copy.deepcopy(doc)
    choice = rng.randrange(16)
    if choice == 0:  # a signed field changed
        field = rng.choice([k for k, v in d.items() if isinstance(v, (str, int)) and k != "signatures"])
        d[field] = d[field] + 1 if isinstance(d[field], int) else d[field] + rng.choice(["x", "\u0301", " "])
        return done(d, f"{field} changed")
    if choice == 1:  # an unknown field, top level or nested
        parent = d
        nested = {"treaty": "scope", "genesis": "network_authority", "policy": "routing"}.get(kind)
        if nested and rng.random() < 0.5 and isinstance(d.get(nested), dict):
            parent = d[nested]
        parent[rng.choice(["priority", "x", "Zürich", "\U0001f600"])] = g.json_value()
        return done(d, "unknown field added" + (" (nested)" if parent is not d else ""))
    if choice == 2:  # a signature by another key
        other = rng.choice([w.root, w.stranger_na, w.stranger_root, *w.keys])
        return sign_received(kind, d, other, keep=rng.random() < 0.3), f"signed by {other.key_id} ({other is key})"
    if choice == 3:  # timestamps
        fields = TIMESTAMP_FIELDS[kind] or ()
        if kind == "genesis":
            na = d["network_authority"]
            for f in ("valid_from", "valid_to"):
                na[f], what = ts_variant(g, na[f])
            return done(d, f"genesis NA timestamps: {what}")
        f = rng.choice(fields)
        d[f], what = ts_variant(g, d[f])
        return done(d, f"{f}: {what}")
    if choice == 4:  # a defaulted field left out / set to null
        defaults = {"treaty": ["metadata", "scope", "status", "signatures"],
                    "feed": ["revocation_reasons", "revoked_attestation_ids", "revoked_grant_ids", "signatures"],
                    "policy": ["routing", "allowed_ports", "allowed_services"],
                    "genesis": ["bootstrap_anchors", "allowed_crypto_suites", "allowed_transports"]}[kind]
        f = rng.choice(defaults)
        if rng.random() < 0.6:
            d.pop(f, None)
            return done(d, f"{f} left out")
        d[f] = None
        return done(d, f"{f}: null")
    if choice == 5:  # number forms
        if kind == "feed":
            d["sequence"] = rng.choice([float(d["sequence"]), str(d["sequence"]), True, -1, 2**64, d["sequence"]])
            return done(d, f"sequence written as {d['sequence']!r}")
        if kind == "policy":
            d["allowed_ports"] = [float(p) for p in d["allowed_ports"]] or [443.0]
            return done(d, "allowed_ports as floats")
        if kind == "treaty":
            d["scope"]["claims"][rng.choice(["n", "f"])] = rng.choice([1.0, -0.0, 2**64, 1e300, 0.1])
            return done(d, "a number in claims")
        d["network_version"] = 1
        return done(d, "network_version as a number")
    if choice == 6:  # signature objects
        sigs = d.get("signatures") or []
        sub = rng.randrange(6)
        if sub == 0 and sigs:
            sigs[0] = {**sigs[0], "extra": "x"}
            return d, "extra member in the signature object"
        if sub == 1 and sigs:
            sigs[0]["key_id"] = rng.choice(["", "other", "\U0001f600"])
            return d, "signature key_id changed"
        if sub == 2 and sigs:
            d["signatures"] = sigs + [copy.deepcopy(sigs[0])]
            return d, "signature duplicated"
        if sub == 3 and sigs:
            bad = {"key_id": "bad", "sig": base64.b64encode(bytes(64)).decode()}
            d["signatures"] = [bad, *sigs] if rng.random() < 0.5 else [*sigs, bad]
            return d, "an invalid signature next to the valid one"
        if sub == 4 and sigs:
            sigs[0]["sig"] = sigs[0]["sig"].rstrip("=") + rng.choice(["", "==", "=\n", " "])
            return d, "signature padding changed"
        if rng.random() < 0.7:
            d["signatures"] = rng.choice([[], {}, None, "x"])
            return d, f"signatures: {d['signatures']!r}"
        d.pop("signatures", None)
        return d, "signatures left out"
    if choice == 7:  # model-invalid but signed
        if kind == "treaty":
            d["expires_at"] = d["valid_from"] if rng.random() < 0.5 else d["issued_at"][:4] + "-01-01T00:00:00Z"
            return done(d, "expires_at at or before valid_from")
        if kind == "feed":
            d["revocation_reasons"] = {**d["revocation_reasons"], g.uuid(): "unlisted"}
            return done(d, "reason for an unlisted id")
        if kind == "policy":
            d["allowed_ports"] = ["443"]
            return done(d, "port as a string")
        d["network_authority"]["public_key"] = rng.choice([w.root.public_b64, "not-a-key", ""])
        return done(d, "NA key is the root / malformed")
    if choice == 8 and kind == "feed":  # id list order
        ids = d["revoked_attestation_ids"]
        if len(ids) >= 1:
            d["revoked_attestation_ids"] = list(reversed(ids)) + ids[:1]
            return done(d, "ids reordered and one repeated")
    if choice == 8 and kind == "treaty":
        d["scope"]["accepted_statuses"] = rng.choice([["expired"], ["revoked", "active"], ["active", "active"]])
        return done(d, "accepted_statuses " + repr(d["scope"]["accepted_statuses"]))
    if choice == 9 and kind == "treaty":
        d["subject_public_keys"] = rng.choice([[], [w.root.public_b64[:-2] + "=="], ["x"],
                                               d["subject_public_keys"] * 2])
        return done(d, "subject_public_keys " + repr(d["subject_public_keys"])[:40])
    if choice == 10:  # issuer / ids
        f = {"treaty": "issuer_sovereign_id", "feed": "issuer_sovereign_id", "policy": "issued_by",
             "genesis": "network_name"}[kind]
        d[f] = rng.choice(["OTHER-NA", "", "a" * 257, d[f] + "\u200b"])
        return done(d, f"{f} changed")
    # textual mutations of the serialized bytes
    text = jsonify(d).decode()
    if choice == 11:  # duplicate key
        for f in ("status", "sequence", "issued_at", "network_version", "policy_id"):
            needle = f'"{f}":'
            if needle in text:
                at = text.index(needle)
                value = json.dumps(d[f])
                dup = rng.choice([f'"{f}":{value},', f'"{f}":"x",'])
                return (text[:at] + dup + text[at:]).encode(), f"duplicate key {f}"
    if choice == 12:  # -0, 1.0 vs 1, big ints in the text
        if kind == "feed":
            rep = rng.choice(["-0", "0.0", "2e0", "20E-1", "00", "1" + "0" * 25])
            return text.replace(f'"sequence":{d["sequence"]}', f'"sequence":{rep}', 1).encode(), f"sequence as {rep}"
        if kind == "policy":
            rep = rng.choice(["443.0", "4.43e2", "-0", "0443"])
            return text.replace("443", rep, 1).encode(), f"443 written {rep}"
    if choice == 13:  # \u escapes vs raw, lone surrogates, controls
        sub = rng.randrange(4)
        if sub == 0:
            return text.replace("\\u", "\\u", 1).encode().replace(b"e", b"\\u0065", 3), "letters as \\u escapes"
        if sub == 1:
            return text.replace('"', '"\\ud800', 1).replace('"\\ud800', '"', 1).replace(
                '"issued_by":"', '"issued_by":"\\ud800', 1).encode(), "lone surrogate in issued_by"
        if sub == 2:
            return text.replace('"issued_by":"', '"issued_by":"\t', 1).encode(), "raw tab inside a string"
        raw = json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return raw.encode("utf-8"), "compact raw UTF-8"
    if choice == 14:
        data, what = reserialize(g, d)
        return data, "re-serialized: " + what
    if choice == 15:  # truncated or trailing data
        return rng.choice([text.encode()[:-5], text.encode() + b"{}", text.encode() + b"\x00"]), "broken JSON"
    return reserialize(g, d)[0], "re-serialized (fallback)"


def mutate_key_history(g: Gen, w: World, doc: dict[str, Any]) -> tuple[dict[str, Any] | bytes, str]:
    from genesis_mesh.models.key_succession import KeySuccessionRecord
    from genesis_mesh.trust.key_succession import sign_succession

    rng = g.rng
    d = copy.deepcopy(doc)
    succ = d["successions"]
    choice = rng.randrange(8)
    if choice == 0 and succ:
        i = rng.randrange(len(succ))
        f = rng.choice(["new_valid_to", "effective_at", "issued_at", "new_key_id", "succession_id"])
        succ[i][f] = succ[i][f][:-1] + rng.choice(["1Z", "+00:00", ".000000Z", "Z"]) if "_at" in f or "_to" in f \
            else succ[i][f] + "x"
        return d, f"succession {i + 2} {f} changed after signing"
    if choice == 1 and len(succ) >= 2:
        succ.reverse()
        return d, "successions reversed"
    if choice == 2 and succ:
        del succ[rng.randrange(len(succ))]
        return d, "a succession dropped"
    if choice == 3 and succ:
        i = rng.randrange(len(succ))
        succ[i]["signatures"] = succ[i]["signatures"][: rng.randint(0, 2)]
        return d, f"succession {i + 2} signatures cut"
    if choice == 4 and succ:
        # re-sign one record with a change, by all three keys (chain rules then decide)
        i = rng.randrange(len(succ))
        body = {k: v for k, v in succ[i].items() if k != "signatures"}
        f = rng.choice(["issued_at", "new_valid_to", "effective_at", "key_sequence"])
        if f == "key_sequence":
            body[f] += rng.choice([-1, 1])
        elif f == "issued_at":
            body[f] = body["effective_at"][:-1] + rng.choice(["Z", ".5Z"]) if rng.random() < 0.5 else body[f]
            body[f] = (datetime.fromisoformat(body["effective_at"].replace("Z", "+00:00")) + timedelta(
                seconds=rng.choice([0, 1]))).strftime("%Y-%m-%dT%H:%M:%SZ")
        else:
            body[f] = body["effective_at"]
        try:
            record = KeySuccessionRecord.model_validate(body)
        except Exception:
            return d, "re-sign failed (left unchanged)"
        prev, new = w.keys[i], w.keys[i + 1]
        for key in (w.root, new, prev):
            record = sign_succession(record, key.signing_key, key.key_id)
        succ[i] = record.to_wire()
        return d, f"succession {i + 2} {f} changed and re-signed by all three"
    if choice == 5:
        d["genesis"]["network_version"] += "x"
        return d, "genesis changed"
    if choice == 6 and succ:
        succ[-1]["previous_succession_digest"] = None
        return d, "last succession previous_succession_digest null"
    return reserialize(g, d)[0], "key history re-serialized"


def generate(seed: int, count: int) -> list[dict[str, Any]]:
    """`count` documents of seed ``seed`` with the reference's strict verdict on each."""
    import freezegun

    out: list[dict[str, Any]] = []
    with freezegun.freeze_time(CLOCK):
        g = Gen(seed)
        w = World(g)
        makers: dict[str, Callable[[World], tuple[dict[str, Any], SeedKey, datetime, str]]] = {
            "treaty": make_treaty, "feed": make_feed, "policy": make_policy}
        for n in range(count):
            kind = g.rng.choice(["treaty"] * 4 + ["feed"] * 3 + ["policy"] * 2 + ["genesis", "key-history"])
            inputs: dict[str, Any] = {"root": w.root.public_b64, "key_history": w.key_history}
            if kind == "genesis":
                doc, key, issued, what = w.genesis, w.root, w.start, "genesis"
                inputs = {"root": w.root.public_b64 if g.rng.random() < 0.9 else w.stranger_root.public_b64}
            elif kind == "key-history":
                doc, key, issued, what = w.key_history, w.root, w.start, f"key history of {len(w.keys)} keys"
                inputs = {"root": w.root.public_b64}
            else:
                doc, key, issued, what = makers[kind](w)
                if g.rng.random() < 0.15:
                    inputs = {"keys": [k.public_b64 for k in w.keys]}   # a plain key list (valid always)
            at = w.eval_time(issued)
            data: bytes
            if g.rng.random() < 0.55:
                value, change = (mutate_key_history(g, w, doc) if kind == "key-history"
                                 else mutate(g, kind, doc, key, w))
                data = value if isinstance(value, bytes) else jsonify(value)
                what += "; " + change
            else:
                data = cli_indent(doc) if kind == "genesis" and g.rng.random() < 0.5 else jsonify(doc)
            try:
                result = verdict(kind, data, Inputs(
                    keys=tuple(inputs.get("keys", ())), root=inputs.get("root"),
                    key_history=inputs.get("key_history"), at=at), model=False)
            except Exception as exc:  # noqa: BLE001 - the reference itself failed: say so
                result = {"strict": {"accepted": None, "reason": f"reference raised {type(exc).__name__}: {exc}"[:300]}}
            out.append({"id": f"{seed}/{n}", "kind": kind, "what": what, "data": base64.b64encode(data).decode(),
                        "at": at.isoformat().replace("+00:00", "Z"), **inputs, "strict": result["strict"]})
    return out
