"""The coalition's cross-references: keys a recognition policy or a treaty pins against the NA
keys the named sovereign publishes (publisher.verify.coalition.check_cross_references)."""
from __future__ import annotations

import json
from pathlib import Path

from publisher.verify import verify_path
from tests.conftest import DEMO_AT

POLICY = "sovereigns/aurora-commons/recognition-policy.json"


def _mismatches(root: Path) -> list[tuple[str, str]]:
    found = verify_path(root, at=DEMO_AT, workers=1).findings
    assert not [f for f in found if f.code == "internal.check_failed"]
    return [(f.path, f.pointer) for f in found if f.code == "recpolicy.key_mismatch"]


def test_a_policy_that_pins_a_key_the_issuer_does_not_publish_is_reported(demo_copy: Path) -> None:
    root = demo_copy
    assert _mismatches(root) == []
    policy = json.loads((root / POLICY).read_text())
    issuers = policy["recognized_issuers"]
    issuers[0]["public_keys"] = [issuers[0]["public_keys"][0], "A" * 43 + "="]     # one of them unknown
    issuers[1]["public_keys"] = [{"not": "a key"}, ["nor this"], 7]               # no string at all
    (root / POLICY).write_text(json.dumps(policy, indent=2) + "\n")

    assert _mismatches(root) == [(POLICY, "/recognized_issuers/0/public_keys"),
                                 (POLICY, "/recognized_issuers/1/public_keys")]


def test_a_policy_that_pins_only_the_issuers_keys_is_not_reported(demo_copy: Path) -> None:
    root = demo_copy
    policy = json.loads((root / POLICY).read_text())
    keys = policy["recognized_issuers"][0]["public_keys"]
    policy["recognized_issuers"][0]["public_keys"] = keys + keys               # the same key twice
    (root / POLICY).write_text(json.dumps(policy, indent=2) + "\n")

    assert _mismatches(root) == []


def test_a_membership_finding_points_at_the_member_entry_it_is_about(demo_copy: Path) -> None:
    """Entries coalition.json lists but verification skips (not an object, a duplicate) do not
    shift the pointer of a finding on a later member."""
    root = demo_copy
    coalition = json.loads((root / "coalition.json").read_text())
    first = coalition["members"][0]
    coalition["members"] = [42, first, dict(first), {"sovereign_id": "ghost"}, *coalition["members"][1:]]
    (root / "coalition.json").write_text(json.dumps(coalition, indent=2) + "\n")
    found = verify_path(root, at=DEMO_AT, workers=1).findings
    assert [(f.code, f.pointer) for f in found if f.code.startswith("coalition.")
            and f.code != "coalition.schema"] == [("coalition.duplicate_member", "/members/2"),
                                                   ("coalition.member_missing", "/members/3")]
