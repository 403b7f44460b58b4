"""Real documents published by genesis-mesh operators verify; altered copies do not."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from publisher.checks.feed import check_feed
from publisher.checks.genesis import check_genesis
from publisher.checks.key_history import build_key_history
from publisher.checks.policies import check_policy_manifest
from publisher.checks.treaties import check_treaty
from publisher.limits import DEFAULT_LIMITS
from publisher.model import KeyHistory, NaKey

OPERATORS = ["001-na", "amine-m6-na", "anonymous-na", "miraos-na", "ons-a-na"]


def real(shared: Path, *parts: str):
    return json.loads((shared / "genesis-mesh" / "real" / Path(*parts)).read_text())


def errors(findings):
    return [f.code for f in findings if f.severity.value == "error"]


@pytest.mark.parametrize("operator", OPERATORS)
def test_real_genesis_verifies_under_its_pinned_root(shared, operator):
    doc = real(shared, "official-operators", operator, "genesis.signed.json")
    genesis, findings = check_genesis(doc, "g.json", doc["network_name"], doc["root_public_key"],
                                      other_roles={}, limits=DEFAULT_LIMITS)
    assert errors(findings) == [] and genesis is not None and genesis.verified


@pytest.mark.parametrize("operator", OPERATORS)
def test_real_genesis_refused_under_another_root(shared, operator):
    doc = real(shared, "official-operators", operator, "genesis.signed.json")
    other = real(shared, "genesis", "genesis.signed.json")["root_public_key"]
    _, findings = check_genesis(doc, "g.json", doc["network_name"], other, other_roles={}, limits=DEFAULT_LIMITS)
    assert errors(findings) == ["genesis.root_mismatch"]


def test_real_unsigned_genesis_is_refused(shared):
    doc = real(shared, "official-operators", "miraos-na", "genesis.json")
    _, findings = check_genesis(doc, "g.json", doc["network_name"], doc["root_public_key"],
                                other_roles={}, limits=DEFAULT_LIMITS)
    assert errors(findings) == ["sig.missing"]


def test_reference_example_genesis_verifies(shared):
    doc = real(shared, "genesis", "genesis.signed.json")
    genesis, findings = check_genesis(doc, "g.json", doc["network_name"], doc["root_public_key"],
                                      other_roles={}, limits=DEFAULT_LIMITS)
    assert errors(findings) == [] and genesis.verified


def _miraos_history(shared):
    doc = real(shared, "official-operators", "miraos-na", "genesis.signed.json")
    genesis, _ = check_genesis(doc, "g.json", doc["network_name"], doc["root_public_key"], other_roles={},
                               limits=DEFAULT_LIMITS)
    history, findings = build_key_history(genesis, None, "kh.json", doc["network_name"])
    assert findings == []
    return doc, history


def test_real_policy_manifest_verifies_under_the_na_key_not_the_root(shared):
    genesis, history = _miraos_history(shared)
    policy = real(shared, "official-operators", "miraos-na", "policy.json")
    doc, findings, _ = check_policy_manifest(policy, "p.json", "MiraOS-NA", history, other_roles={},
                                             limits=DEFAULT_LIMITS)
    assert errors(findings) == [] and doc.verified
    root_only = KeyHistory((NaKey(1, genesis["root_public_key"], None, None, None, None, False),))
    _, findings, _ = check_policy_manifest(policy, "p.json", "MiraOS-NA", root_only, other_roles={},
                                           limits=DEFAULT_LIMITS)
    assert errors(findings) == ["sig.invalid"]


def test_real_supply_chain_treaty_verifies(shared):
    treaty = real(shared, "supply-chain-trust-gate", "recognition-treaty.json")
    key = (shared / "genesis-mesh/real/supply-chain-trust-gate/treaty-issuer-public-key.txt").read_text().strip()
    history = KeyHistory((NaKey(1, key, "project-b-na", None, None, None, False),))
    model, findings, _ = check_treaty(treaty, "t.json", "project-b", history, other_roles={}, limits=DEFAULT_LIMITS)
    assert errors(findings) == [] and model.verified and model.signer == key
    forged = copy.deepcopy(treaty)
    forged["scope"]["allowed_roles"].append("role:operator")
    _, findings, _ = check_treaty(forged, "t.json", "project-b", history, other_roles={}, limits=DEFAULT_LIMITS)
    assert errors(findings) == ["sig.invalid"]


def test_real_supply_chain_feed_verifies_under_subject_key(shared):
    treaty = real(shared, "supply-chain-trust-gate", "recognition-treaty.json")
    feed = real(shared, "supply-chain-trust-gate", "revocation-feed.json")
    history = KeyHistory((NaKey(1, treaty["subject_public_keys"][0], None, None, None, None, False),))
    model, findings, _ = check_feed(feed, "f.json", "project-a", history, other_roles={}, limits=DEFAULT_LIMITS)
    assert errors(findings) == [] and model.verified and model.sequence == 2


def test_real_trust_bundle_contents_verify(shared):
    bundle = real(shared, "official-operators", "usg-nb", "trust-bundle.json")
    genesis_doc = bundle["genesis"]
    genesis, findings = check_genesis(genesis_doc, "g.json", bundle["sovereign_id"], genesis_doc["root_public_key"],
                                      other_roles={}, limits=DEFAULT_LIMITS)
    assert errors(findings) == []
    history, _ = build_key_history(genesis, None, "kh.json", bundle["sovereign_id"])
    treaties = bundle["connectome"]["active_treaties"]
    assert len(treaties) == 9
    for treaty in treaties:
        model, findings, _ = check_treaty(treaty, "t.json", "USG-NB", history, other_roles={}, limits=DEFAULT_LIMITS)
        assert errors(findings) == [], treaty["treaty_id"]
    feed = bundle["revocation_feed"]["payload"]
    model, findings, _ = check_feed(feed, "f.json", "USG-NB", history, other_roles={}, limits=DEFAULT_LIMITS)
    assert errors(findings) == [] and model.verified
