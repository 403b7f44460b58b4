"""genesis-mesh conformance vectors, byte for byte: signatures, treaties, revocation."""
from __future__ import annotations

import json

import pytest

from publisher import crypto
from publisher.canonical import canonical_json, signed_bytes
from publisher.checks.feed import check_feed
from publisher.checks.treaties import check_treaty
from publisher.limits import DEFAULT_LIMITS
from publisher.model import KeyHistory, NaKey

SEED_A = bytes(range(32))


def load(shared, name):
    return json.loads((shared / "genesis-mesh" / "conformance" / f"{name}.json").read_text())["vectors"]


def history_of(*keys: str) -> KeyHistory:
    return KeyHistory(tuple(NaKey(i + 1, k, None, None, None, None, False) for i, k in enumerate(keys)))


def test_seed_a_is_the_vector_key(shared):
    vector = load(shared, "signatures")[0]
    assert crypto.public_key_of(SEED_A) == vector["input"]["public_key_b64"]


def test_signature_vectors(shared):
    vectors = load(shared, "signatures")
    assert len(vectors) >= 2
    for vector in vectors:
        message = vector["input"]["canonical_json"].encode("utf-8")
        sig_b64 = vector["expected"].get("signature_b64") or vector["input"]["signature_b64"]
        sig = crypto.decode_signature(sig_b64)
        assert sig is not None
        valid = crypto.verify(vector["input"]["public_key_b64"], message, sig)
        assert valid is vector["expected"]["valid"], vector["id"]
        if vector["expected"]["valid"]:
            # Ed25519 is deterministic: we produce the exact same signature bytes.
            assert crypto.sign(SEED_A, message) == sig_b64


def test_treaty_vector_signed_bytes_match_the_signature_vector(shared):
    treaty = load(shared, "treaties")[0]["input"]["treaty"]
    canonical = load(shared, "signatures")[0]["input"]["canonical_json"]
    assert signed_bytes(treaty, "recognition-treaty") == canonical.encode("utf-8")
    assert canonical_json({k: v for k, v in treaty.items() if k != "signatures"}) == canonical


@pytest.mark.parametrize("name", ["treaties"])
def test_treaty_vectors_accepted(shared, name):
    for vector in load(shared, name):
        treaty = vector["input"]["treaty"]
        history = history_of(*vector["input"]["issuer_public_keys"])
        model, findings, unexplained = check_treaty(treaty, "t.json", treaty["issuer_sovereign_id"], history,
                                                    other_roles={}, limits=DEFAULT_LIMITS)
        errors = [f.code for f in findings if f.severity.value == "error"]
        assert (not errors) is vector["expected"]["accepted"], errors
        assert model is not None and model.verified and model.treaty_id == vector["expected"]["treaty_id"]


def test_revocation_vectors_accepted(shared):
    for vector in load(shared, "revocation"):
        feed = vector["input"]["feed"]
        history = history_of(*vector["input"]["issuer_public_keys"])
        model, findings, _ = check_feed(feed, "f.json", feed["issuer_sovereign_id"], history,
                                        other_roles={}, limits=DEFAULT_LIMITS)
        assert [f.code for f in findings if f.severity.value == "error"] == []
        assert model is not None and model.verified
        assert len(model.revoked_ids) == vector["expected"]["revoked_count"]
        # re-signing with seed a reproduces the vector's signature byte for byte
        assert crypto.sign(SEED_A, signed_bytes(feed, "revocation-feed")) == feed["signatures"][0]["sig"]


def test_tampered_vector_is_refused(shared):
    treaty = dict(load(shared, "treaties")[0]["input"]["treaty"])
    treaty["expires_at"] = "2030-01-01T00:00:00Z"
    history = history_of(crypto.public_key_of(SEED_A))
    _, findings, _ = check_treaty(treaty, "t.json", "sovereign-a", history, other_roles={}, limits=DEFAULT_LIMITS)
    assert [f.code for f in findings if f.severity.value == "error"] == ["sig.invalid"]
