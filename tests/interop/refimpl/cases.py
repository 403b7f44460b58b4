"""Single-document cases: each valid reference document plus tampered and edge variants.

Every base document is one the reference produced in the scenario (served by its NA or
written by its CLI). A variant changes it the way an attacker, a buggy producer or a
lenient parser would, and is re-signed only where the case says so, always with the
reference's own signing code (`sign_data` over `received_canonical`, i.e. exactly the
bytes the strict verifier checks, or `sign_succession` for key successions).
"""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable

from .keys import KEYS, Key
from .scenario import Outcome

#: When every case is judged unless it says otherwise: the scenario's export time.
EVAL_AT = "2026-01-10T12:00:00Z"
ALPHA_HISTORY = "repo/sovereigns/ALPHA-NA/key-history.json"


@dataclass
class Case:
    """One document of documents/, with what its verdict is computed with."""

    name: str
    kind: str
    data: bytes
    what: str
    keys: tuple[str, ...] = ()  # names in KEYS (NA keys the verifier holds)
    root: str | None = None  # name in KEYS (the pinned root)
    key_history: str | None = None  # corpus-relative path of a served /na/key-history
    at: str = EVAL_AT
    extra: dict[str, Any] = field(default_factory=dict)


def dump(doc: Any) -> bytes:
    """How variants are written: indent 2, sorted keys, trailing newline (readable diffs)."""
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode("utf-8")


def sign_received(model: str, doc: dict[str, Any], key: Key) -> dict[str, Any]:
    """Replace the signatures with one by ``key`` over the document as it stands (reference code)."""
    from genesis_mesh.crypto.signing import sign_data
    from genesis_mesh.models.canonical_registry import received_canonical

    if model == "PolicyManifest":  # not in the registry: all fields but signatures, canonical JSON
        body = json.dumps({k: v for k, v in doc.items() if k != "signatures"}, sort_keys=True, separators=(",", ":"))
    else:
        body = received_canonical(model, doc)
    out = dict(doc)
    out["signatures"] = [{"key_id": key.key_id, "sig": sign_data(body.encode("utf-8"), key.signing_key)}]
    return out


def first_sig_map(doc: dict[str, Any], fn: Callable[[str], str]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    out["signatures"][0]["sig"] = fn(out["signatures"][0]["sig"])
    return out


def to_b64url(sig: str) -> str:
    return base64.urlsafe_b64encode(base64.b64decode(sig)).decode("ascii")


def key_31_bytes() -> str:
    return base64.b64encode(bytes(range(100, 131))).decode("ascii")


def plus00(ts: str) -> str:
    return ts[:-1] + "+00:00" if ts.endswith("Z") else ts


class CaseBuilder:
    """Builds every case from the scenario's outcome."""

    def __init__(self, out: Outcome) -> None:
        self.out = out
        self.cases: list[Case] = []

    def add(self, *args: Any, **kwargs: Any) -> None:
        self.cases.append(Case(*args, **kwargs))

    # -- bases --------------------------------------------------------------------------

    def treaty_rows(self, sovereign: str) -> list[dict[str, Any]]:
        return [json.loads(b) for b in self.out.treaty_rows[sovereign].values()]

    def beta_treaty(self) -> dict[str, Any]:
        return self.treaty_rows("BETA-NA")[0]["treaty"]

    def alpha_treaty(self, issued_by: str, status: str = "active") -> dict[str, Any]:
        rows = [r for r in self.treaty_rows("ALPHA-NA")
                if r["treaty"]["issued_by"] == issued_by and r["status"] == status]
        return rows[0]["treaty"]

    def served(self, sovereign: str, name: str) -> dict[str, Any]:
        return json.loads(self.out.served[sovereign][name])

    # -- documents ---------------------------------------------------------------------

    def build(self) -> list[Case]:
        self.treaties()
        self.treaties_at_time()
        self.feeds()
        self.geneses()
        self.key_histories()
        self.policies()
        self.attestations()
        self.bundles()
        return self.cases

    def treaties(self) -> None:
        base = self.beta_treaty()
        beta = dict(keys=("beta_na",))
        na = KEYS["beta_na"]
        T = "RecognitionTreaty"

        def tweak(**changes: Any) -> dict[str, Any]:
            doc = copy.deepcopy(base)
            doc.update(changes)
            return doc

        self.add("treaty-valid", "treaty", dump(base), "BETA-NA -> ALPHA-NA treaty as BETA's NA issued it", **beta)
        self.add("treaty-tampered-after-signing", "treaty", dump(tweak(expires_at="2036-01-01T00:00:00Z")),
                 "expires_at moved ten years out after signing", **beta)
        self.add("treaty-unsigned", "treaty", dump(tweak(signatures=[])), "signatures emptied", **beta)
        self.add("treaty-signed-by-root", "treaty", dump(sign_received(T, base, KEYS["beta_root"])),
                 "re-signed by BETA's root key instead of its NA key", **beta)
        self.add("treaty-signed-by-other-sovereign-na", "treaty", dump(sign_received(T, base, KEYS["gamma_na"])),
                 "re-signed by GAMMA's NA key; verified with BETA's NA key", **beta)
        self.add("treaty-signature-base64url", "treaty", dump(first_sig_map(base, to_b64url)),
                 "same signature bytes, base64url alphabet", **beta)
        self.add("treaty-signature-unpadded", "treaty", dump(first_sig_map(base, lambda s: s.rstrip("="))),
                 "same signature, '=' padding stripped", **beta)
        self.add("treaty-subject-key-31-bytes", "treaty",
                 dump(sign_received(T, tweak(subject_public_keys=[key_31_bytes()]), na)),
                 "subject_public_keys holds a 31-byte key; re-signed by BETA's NA", **beta)
        self.add("treaty-signed-unknown-field", "treaty", dump(sign_received(T, tweak(priority="high"), na)),
                 "unknown top-level field 'priority', covered by a fresh BETA NA signature", **beta)
        self.add("treaty-unknown-field-after-signing", "treaty", dump(tweak(priority="high")),
                 "unknown field 'priority' added after signing", **beta)
        ts = {k: plus00(base[k]) for k in ("issued_at", "valid_from", "expires_at")}
        self.add("treaty-timestamp-plus00-resigned", "treaty", dump(sign_received(T, tweak(**ts), na)),
                 "timestamps rewritten Z -> +00:00, then re-signed over that form", **beta)
        self.add("treaty-timestamp-plus00-not-resigned", "treaty", dump(tweak(**ts)),
                 "timestamps rewritten Z -> +00:00 after signing", **beta)
        # A field at its default value ({}), so that leaving it out changes nothing the model sees.
        empty_meta = sign_received(T, tweak(metadata={}), na)
        no_meta = {k: v for k, v in empty_meta.items() if k != "metadata"}
        self.add("treaty-empty-metadata", "treaty", dump(empty_meta),
                 "treaty-valid with metadata {} (its default), re-signed by BETA's NA: "
                 "the base of the next two", **beta)
        self.add("treaty-missing-metadata", "treaty", dump(no_meta),
                 "treaty-empty-metadata with the defaulted field 'metadata' left out after signing", **beta)
        self.add("treaty-missing-metadata-resigned", "treaty", dump(sign_received(T, no_meta, na)),
                 "treaty-missing-metadata re-signed over the form without 'metadata'", **beta)
        dup = dump(base).decode().replace('"status": "active"', '"status": "revoked",\n  "status": "active"', 1)
        self.add("treaty-duplicate-status-key", "treaty", dup.encode(),
                 "'status' appears twice (revoked, then active); signature valid for the last", **beta)
        for status in ("suspended", "revoked"):
            self.add(f"treaty-status-{status}-resigned", "treaty", dump(sign_received(T, tweak(status=status), na)),
                     f"signed status '{status}', re-signed by BETA's NA", **beta)
        self.add("treaty-names-other-issuer", "treaty",
                 dump(sign_received(T, tweak(issuer_sovereign_id="GAMMA-NA"), na)),
                 "issuer_sovereign_id says GAMMA-NA but BETA's NA signed it (FORMATS §14.9)", **beta)
        self.add("treaty-expired", "treaty", dump(base), "treaty-valid judged after its expires_at",
                 at="2026-06-01T00:00:00Z", **beta)

    def treaties_at_time(self) -> None:
        """ALPHA's key history: NA key 1 until 2026-01-10T09:00:00Z (+300 s hand-over), then key 2."""
        alpha = dict(root="alpha_root", key_history=ALPHA_HISTORY)
        T = "RecognitionTreaty"
        na1 = self.alpha_treaty("na-alpha-1")
        na2 = self.alpha_treaty("na-alpha-2")

        def moved(doc: dict[str, Any], when: str, key: Key) -> dict[str, Any]:
            return sign_received(T, {**doc, "issued_at": when, "valid_from": when}, key)

        self.add("treaty-alpha-na1-valid", "treaty", dump(na1),
                 "ALPHA treaty signed by NA key 1 before the succession (a superseded re-issue source)", **alpha)
        self.add("treaty-alpha-na2-valid", "treaty", dump(na2),
                 "ALPHA treaty re-issued by its NA under key 2 after the succession", **alpha)
        self.add("treaty-na2-issued-before-key-valid", "treaty",
                 dump(moved(na2, "2026-01-09T12:00:00Z", KEYS["alpha_na2"])),
                 "signed by NA key 2 but dated before key 2 took effect (2026-01-10T09:00:00Z)", **alpha)
        self.add("treaty-na1-issued-within-handover", "treaty",
                 dump(moved(na1, "2026-01-10T09:04:59Z", KEYS["alpha_na1"])),
                 "signed by NA key 1, dated 299 s after key 2 took effect (inside the 300 s hand-over)", **alpha)
        self.add("treaty-na1-issued-after-handover", "treaty",
                 dump(moved(na1, "2026-01-10T09:05:00Z", KEYS["alpha_na1"])),
                 "signed by NA key 1, dated exactly 300 s after key 2 took effect (hand-over over)", **alpha)
        self.add("treaty-na1-outlives-key", "treaty", dump(na1),
                 "treaty-alpha-na1-valid judged at key 1's end + 300 s + 24 h (vouching horizon)",
                 at="2026-01-11T09:05:00Z", **alpha)
        self.add("treaty-na1-just-inside-vouching", "treaty", dump(na1),
                 "treaty-alpha-na1-valid judged one second before the vouching horizon",
                 at="2026-01-11T09:04:59Z", **alpha)
        self.add("treaty-alpha-root-signed", "treaty", dump(sign_received(T, na2, KEYS["alpha_root"])),
                 "ALPHA treaty re-signed by ALPHA's root key (root is not an NA key)", **alpha)

    def feeds(self) -> None:
        base = self.served("BETA-NA", "revocation-feed.json")
        beta = dict(keys=("beta_na",))
        na = KEYS["beta_na"]
        F = "SovereignRevocationFeed"

        def tweak(**changes: Any) -> dict[str, Any]:
            doc = copy.deepcopy(base)
            doc.update(changes)
            return doc

        ids = base["revoked_attestation_ids"]
        messy = [ids[1], ids[0], ids[1]]
        self.add("feed-valid", "feed", dump(base),
                 "BETA's feed as served (two revoked attestations, sequence 2)", **beta)
        self.add("feed-tampered-after-signing", "feed", dump(tweak(sequence=5)),
                 "sequence 2 -> 5 after signing", **beta)
        self.add("feed-unsigned", "feed", dump(tweak(signatures=[])), "signatures emptied", **beta)
        self.add("feed-signed-by-root", "feed", dump(sign_received(F, base, KEYS["beta_root"])),
                 "re-signed by BETA's root key", **beta)
        self.add("feed-sequence-string", "feed", dump(tweak(sequence=str(base["sequence"]))),
                 'sequence written as the string "2" after signing', **beta)
        self.add("feed-sequence-string-resigned", "feed",
                 dump(sign_received(F, tweak(sequence=str(base["sequence"])), na)),
                 'sequence written as the string "2", re-signed over that form', **beta)
        self.add("feed-ids-unsorted-duplicated", "feed", dump(tweak(revoked_attestation_ids=messy)),
                 "revoked_attestation_ids reordered and one repeated, after signing", **beta)
        self.add("feed-ids-unsorted-duplicated-resigned", "feed",
                 dump(sign_received(F, tweak(revoked_attestation_ids=messy), na)),
                 "revoked_attestation_ids reordered and one repeated, re-signed over that form", **beta)
        reasons = {**base["revocation_reasons"], "00000000-0000-4000-8000-000000000000": "unlisted"}
        self.add("feed-reason-for-unlisted-id", "feed", dump(sign_received(F, tweak(revocation_reasons=reasons), na)),
                 "revocation_reasons names an id not in revoked_attestation_ids; re-signed", **beta)
        self.add("feed-timestamp-plus00-resigned", "feed",
                 dump(sign_received(F, tweak(issued_at=plus00(base["issued_at"])), na)),
                 "issued_at rewritten Z -> +00:00 and re-signed", **beta)
        self.add("feed-revoked-grant-ids-null", "feed", dump(tweak(revoked_grant_ids=None)),
                 "revoked_grant_ids: null added after signing (an omit-when-none field)", **beta)
        self.add("feed-signed-unknown-field", "feed", dump(sign_received(F, tweak(delta=True), na)),
                 "unknown field 'delta' covered by a fresh BETA NA signature", **beta)

    def geneses(self) -> None:
        base = json.loads(self.out.genesis_signed["BETA-NA"])
        pinned = dict(root="beta_root")
        root = KEYS["beta_root"]
        G = "GenesisBlock"

        def tweak(**changes: Any) -> dict[str, Any]:
            doc = copy.deepcopy(base)
            doc.update(changes)
            return doc

        na = copy.deepcopy(base["network_authority"])
        self.add("genesis-valid", "genesis", self.out.genesis_signed["BETA-NA"],
                 "BETA's genesis as `genesis-mesh genesis sign` wrote it", **pinned)
        self.add("genesis-tampered-after-signing", "genesis", dump(tweak(network_version="v9.9")),
                 "network_version changed after signing", **pinned)
        self.add("genesis-unsigned", "genesis", dump(tweak(signatures=[])), "signatures emptied", **pinned)
        self.add("genesis-signed-by-na-key", "genesis", dump(sign_received(G, base, KEYS["beta_na"])),
                 "re-signed by BETA's NA key instead of its root", **pinned)
        attacker = KEYS["attacker"]
        forged = tweak(root_public_key=attacker.public_b64)
        self.add("genesis-self-rooted-forgery", "genesis", dump(sign_received(G, forged, attacker)),
                 "names the attacker's root and is signed by it; BETA's real root is pinned", **pinned)
        self.add("genesis-signed-unknown-field", "genesis", dump(sign_received(G, tweak(epoch=7), root)),
                 "unknown field 'epoch' covered by a fresh root signature", **pinned)
        ts = {**na, "valid_from": plus00(na["valid_from"]), "valid_to": plus00(na["valid_to"])}
        self.add("genesis-timestamp-plus00-resigned", "genesis",
                 dump(sign_received(G, tweak(network_authority=ts), root)),
                 "NA validity timestamps rewritten Z -> +00:00 and re-signed by the root", **pinned)
        no_anchors = {k: v for k, v in base.items() if k != "bootstrap_anchors"}
        self.add("genesis-missing-bootstrap-anchors", "genesis", dump(no_anchors),
                 "defaulted field 'bootstrap_anchors' left out after signing", **pinned)
        short = {**na, "public_key": key_31_bytes()}
        self.add("genesis-na-key-31-bytes", "genesis", dump(sign_received(G, tweak(network_authority=short), root)),
                 "network_authority.public_key is 31 bytes; re-signed by the root", **pinned)
        bad = copy.deepcopy(base)
        extra = sign_received(G, base, KEYS["beta_na"])["signatures"][0]["sig"]
        bad["signatures"].append({"key_id": "rs-extra", "sig": extra})
        self.add("genesis-second-signature-invalid", "genesis", dump(bad),
                 "the valid root signature plus a second one by the NA key", **pinned)
        self.add("genesis-pinned-root-differs", "genesis", self.out.genesis_signed["BETA-NA"],
                 "genesis-valid, but the verifier pins ALPHA's root", root="alpha_root")

    def key_histories(self) -> None:
        from genesis_mesh.models.key_succession import KeySuccessionRecord
        from genesis_mesh.trust.key_succession import sign_succession

        served = self.served("ALPHA-NA", "key-history.json")
        real = served["successions"][0]
        pinned = dict(root="alpha_root")

        def history(record: dict[str, Any]) -> bytes:
            doc = copy.deepcopy(served)
            doc["successions"] = [record]
            return dump(doc)

        def succession(signers: tuple[Key, ...], **changes: Any) -> dict[str, Any]:
            body = {k: v for k, v in real.items() if k != "signatures"}
            body.update(changes)
            record = KeySuccessionRecord.model_validate(body)
            for key in signers:
                record = sign_succession(record, key.signing_key, key.key_id)
            return record.to_wire()

        root, new, prev = KEYS["alpha_root"], KEYS["alpha_na2"], KEYS["alpha_na1"]
        self.add("key-history-valid", "key-history", self.out.served["ALPHA-NA"]["key-history.json"],
                 "ALPHA's /na/key-history: genesis + one real succession (key 1 -> key 2)", **pinned)
        self.add("key-history-rebuilt-succession", "key-history", history(succession((root, new, prev))),
                 "the real succession rebuilt and re-signed with sign_succession (sanity check)", **pinned)
        self.add("key-history-broken-chain", "key-history", history(succession((root, new, prev), key_sequence=3)),
                 "key_sequence 3 after the genesis key (1); all three signatures valid", **pinned)
        self.add("key-history-bad-root-signature", "key-history",
                 history(succession((KEYS["beta_root"], new, prev))),
                 "the 'root' signature is by BETA's root; new and previous key signatures valid", **pinned)
        self.add("key-history-reused-key", "key-history",
                 history(succession((root, prev, prev), new_public_key=prev.public_b64, new_key_id="na-alpha-1b")),
                 "the succession names the genesis NA key (already held) as the new key", **pinned)
        self.add("key-history-new-key-is-root", "key-history",
                 history(succession((root, root, prev), new_public_key=root.public_b64, new_key_id="na-root")),
                 "the succession names the root key as the new NA key", **pinned)
        self.add("key-history-backdated", "key-history",
                 history(succession((root, new, prev), issued_at="2026-01-10T10:00:00Z")),
                 "issued_at (10:00) after effective_at (09:00)", **pinned)
        self.add("key-history-missing-previous-signature", "key-history", history(succession((root, new))),
                 "root and new-key signatures only; the outgoing NA key did not countersign", **pinned)
        tampered = copy.deepcopy(real)
        tampered["new_valid_to"] = "2036-01-10T09:00:00Z"
        self.add("key-history-succession-tampered", "key-history", history(tampered),
                 "the real succession with new_valid_to moved ten years out after signing", **pinned)
        unknown = {**{k: v for k, v in real.items() if k != "signatures"}, "note": "x"}
        from genesis_mesh.models.canonical_registry import received_canonical
        from genesis_mesh.crypto.signing import sign_data

        body = received_canonical("KeySuccessionRecord", unknown).encode("utf-8")
        unknown["signatures"] = [{"key_id": k.key_id, "sig": sign_data(body, k.signing_key)} for k in (root, new, prev)]
        self.add("key-history-succession-signed-unknown-field", "key-history", history(unknown),
                 "succession with unknown field 'note' signed by all three keys", **pinned)
        self.add("key-history-wrong-pinned-root", "key-history", self.out.served["ALPHA-NA"]["key-history.json"],
                 "key-history-valid, but the verifier pins BETA's root", root="beta_root")

    def policies(self) -> None:
        base = self.served("BETA-NA", "policy.json")
        beta = dict(keys=("beta_na",))
        self.add("policy-valid", "policy", self.out.served["BETA-NA"]["policy.json"],
                 "BETA's /policy as served", **beta)
        self.add("policy-tampered-after-signing", "policy", dump({**base, "allowed_ports": [22]}),
                 "allowed_ports changed after signing", **beta)
        self.add("policy-signed-by-root", "policy", dump(sign_received("PolicyManifest", base, KEYS["beta_root"])),
                 "re-signed by BETA's root key", **beta)
        self.add("policy-unknown-field-after-signing", "policy", dump({**base, "debug": True}),
                 "unknown field 'debug' added after signing", **beta)
        first = self.out.notes["first_policy"]["ALPHA-NA"]
        self.add("policy-alpha-na1", "policy", first,
                 "ALPHA's /policy as first served (genesis time), signed by NA key 1",
                 root="alpha_root", key_history=ALPHA_HISTORY)
        self.add("policy-alpha-na1-outlives-key", "policy", first,
                 "policy-alpha-na1 judged at key 1's end + 300 s + 24 h (node rule: no longer vouching)",
                 root="alpha_root", key_history=ALPHA_HISTORY, at="2026-01-11T09:05:00Z")
        self.add("policy-alpha-na2", "policy", self.out.served["ALPHA-NA"]["policy.json"],
                 "ALPHA's /policy, re-signed by its NA under key 2", root="alpha_root", key_history=ALPHA_HISTORY)

    def attestations(self) -> None:
        base = json.loads(self.out.attestations["bob@beta"])
        beta = dict(keys=("beta_na",))
        self.add("attestation-valid", "attestation", self.out.attestations["bob@beta"],
                 "BETA attestation as `attestation issue --output` wrote it", **beta)
        self.add("attestation-tampered-after-signing", "attestation", dump({**base, "roles": ["role:anchor"]}),
                 "roles changed after signing", **beta)
        self.add("attestation-signed-by-other-sovereign-na", "attestation",
                 dump(sign_received("MembershipAttestation", base, KEYS["gamma_na"])),
                 "re-signed by GAMMA's NA key", **beta)

    def bundles(self) -> None:
        raw = self.out.bundles["BETA-NA"][0]
        base = json.loads(raw)
        pinned = dict(root="beta_root")

        def variant(fn: Callable[[dict[str, Any]], None]) -> bytes:
            doc = copy.deepcopy(base)
            fn(doc)
            return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode("utf-8")

        self.add("trust-bundle-valid", "trust-bundle", raw, "BETA's bundle as `trust-bundle export` wrote it", **pinned)
        self.add("trust-bundle-embedded-genesis-tampered", "trust-bundle",
                 variant(lambda d: d["genesis"].update(network_version="v9.9")),
                 "embedded genesis changed after signing (validation checks no signature)", **pinned)
        self.add("trust-bundle-unsigned-genesis", "trust-bundle",
                 variant(lambda d: d["genesis"].update(signatures=[])), "embedded genesis signatures emptied", **pinned)
        self.add("trust-bundle-forbidden-key-name", "trust-bundle",
                 variant(lambda d: d["sovereign_metadata"].update(token_id="abc")),
                 "an innocent key 'token_id' in sovereign_metadata (substring rule)", **pinned)
        self.add("trust-bundle-unknown-version", "trust-bundle", variant(lambda d: d.update(bundle_version="v2")),
                 "bundle_version v2", **pinned)
        self.add("trust-bundle-sovereign-mismatch", "trust-bundle",
                 variant(lambda d: d["sovereign_metadata"].update(sovereign_id="GAMMA-NA")),
                 "sovereign_metadata.sovereign_id differs from genesis.network_name", **pinned)
        self.add("trust-bundle-missing-connectome", "trust-bundle", variant(lambda d: d.pop("connectome")),
                 "the connectome section removed", **pinned)


def build_cases(out: Outcome) -> list[Case]:
    return CaseBuilder(out).build()
