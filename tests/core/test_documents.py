"""Case tables for the per-document checks of one sovereign folder (pure, in memory)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from publisher.timestamps import format_z
from tests.core.builders import (
    NOW, Folder, SovereignKeys, codes, make_feed, make_genesis, make_roll_call, make_treaty, sign, tamper,
)

A = SovereignKeys.make("alpha", 1)
B = SovereignKeys.make("beta", 2)


def folder_with(relative: str, document) -> Folder:
    return Folder.complete(A).put(relative, document)


def test_complete_folder_is_clean():
    result = Folder.complete(A).verify()
    assert codes(result, None) == []
    assert result.sovereign.verified and result.sovereign.roll_call.verified


TREATY = make_treaty(A, "beta", B.na.public)


@pytest.mark.parametrize("document, expected", [
    (TREATY, []),
    (tamper(TREATY, expires_at="2030-01-01T00:00:00Z"), ["sig.invalid"]),
    (tamper(TREATY, signatures=[]), ["sig.missing"]),
    (make_treaty(A, "beta", B.na.public, signer=A.root), ["sig.wrong_role"]),
    (make_treaty(A, "beta", B.na.public, issuer_sovereign_id="gamma"), ["treaty.wrong_issuer"]),
    (make_treaty(A, "beta", B.na.public, expires_at=format_z(NOW - timedelta(days=6))),
     ["treaty.malformed_window"] * 2),
    (make_treaty(A, "beta", B.na.public, issued_at="2026-05-27T12:00:00+00:00"), ["doc.non_canonical_form"]),
    (sign({k: v for k, v in TREATY.items() if k != "metadata"}, "recognition-treaty", A.na),
     ["doc.non_canonical_form"]),
    (sign({**TREATY, "extension": 1}, "recognition-treaty", A.na), ["doc.unknown_field"]),
    (tamper(TREATY, extension=1), ["doc.unknown_field", "sig.invalid"]),
    (tamper(TREATY, signatures=[{**TREATY["signatures"][0],
                                 "sig": TREATY["signatures"][0]["sig"].replace("+", "-").replace("/", "_")}]),
     ["sig.malformed", "sig.malformed"]),
], ids=["valid", "tampered", "unsigned", "root-signed", "other-issuer", "window-inverted",
        "plus00-timestamp", "missing-defaulted-field", "signed-unknown-field", "unsigned-unknown-field",
        "base64url-signature"])
def test_treaty_rules(document, expected):
    result = folder_with(f"treaties/{TREATY['treaty_id']}.json", document).verify()
    assert codes(result) == sorted(expected)
    treaties = result.sovereign.treaties
    assert len(treaties) == 1 and treaties[0].verified is (expected == [])


def test_treaty_file_must_be_named_after_its_id():
    result = folder_with("treaties/other-name.json", TREATY).verify()
    assert codes(result, "warning") == ["treaty.filename_mismatch"]


def test_row_mismatch_and_orphan_rows():
    changed = make_treaty(A, "beta", B.na.public, expires_at=format_z(NOW + timedelta(days=20)))
    rows = {"count": 1, "recognition_treaties": [{"treaty": changed, "status": "active", "revoked_at": None,
                                                  "revocation_reason": None}]}
    result = folder_with(f"treaties/{TREATY['treaty_id']}.json", TREATY).put("recognition-treaties.json", rows).verify()
    assert codes(result) == ["treaty.row_mismatch"]
    only_rows = Folder.complete(A).put("recognition-treaties.json", rows).verify()
    assert codes(only_rows) == [] and [t.treaty_id for t in only_rows.sovereign.treaties] == [changed["treaty_id"]]


@pytest.mark.parametrize("superseded_by, expected", [
    (None, []),
    ("no-such-treaty", ["treaty.row_inconsistent"]),
    ("self", ["treaty.row_inconsistent"]),
], ids=["none", "unpublished-successor", "itself"])
def test_a_row_superseded_by_a_treaty_not_published_is_inconsistent(superseded_by, expected):
    """A re-issue's `superseded_by` takes the copy out of the graph (connectome.graph_treaties)
    and makes it "replaced": naming a successor that is not published (or the treaty itself)
    would hide a live treaty as silently as `replaced_by:` an unknown id, which is reported."""
    successor = TREATY["treaty_id"] if superseded_by == "self" else superseded_by
    rows = {"count": 1, "recognition_treaties": [{"treaty": TREATY, "status": "active", "revoked_at": None,
                                                  "revocation_reason": None, "reissued_from": None,
                                                  "superseded_by": successor}]}
    result = folder_with(f"treaties/{TREATY['treaty_id']}.json", TREATY).put("recognition-treaties.json", rows).verify()
    assert codes(result) == expected


FEED = make_feed(A, ["att-2", "att-1"])


@pytest.mark.parametrize("document, expected", [
    (FEED, []),
    (tamper(FEED, sequence=1), ["sig.invalid"]),
    (sign({**FEED, "revoked_attestation_ids": ["att-2", "att-1"]}, "revocation-feed", A.na),
     ["doc.non_canonical_form"]),
    (make_feed(A, ["att-1"], revocation_reasons={"att-9": "x"}), ["feed.reason_for_unlisted_id"]),
    (make_feed(A, ["att-1"], issuer_sovereign_id="beta"), ["feed.wrong_issuer"]),
    (make_feed(A, ["att-1"], signer=A.root), ["sig.wrong_role"]),
    (sign({**FEED, "sequence": "2"}, "revocation-feed", A.na), ["doc.non_canonical_form"]),
], ids=["valid", "tampered", "unsorted", "unlisted-reason", "other-issuer", "root-signed", "string-sequence"])
def test_feed_rules(document, expected):
    assert codes(folder_with("revocation-feed.json", document).verify()) == sorted(expected)


def test_feed_null_grant_ids_are_left_out_of_the_signed_bytes():
    assert codes(folder_with("revocation-feed.json", tamper(FEED, revoked_grant_ids=None)).verify()) == []


PARTNER = {"name": "Partner", "roles": ["managing-partner"], "holds_keys": ["network-authority"]}
OPERATOR = {"name": "Op", "roles": ["operator"], "holds_keys": ["root", "operator"]}


@pytest.mark.parametrize("parties, custody, expected", [
    ([OPERATOR, PARTNER], "managed-na-key", []),
    ([OPERATOR, {**PARTNER, "holds_keys": ["root"]}], "managed-na-key", ["rollcall.na_holder_undisclosed",
                                                                         "rollcall.partner_holds_keys"]),
    ([OPERATOR], "managed-na-key", ["rollcall.na_holder_undisclosed"]),
    ([PARTNER], "managed-na-key", ["rollcall.operator_count"]),
    ([OPERATOR, {**OPERATOR, "name": "Op2"}], "split-operation", ["rollcall.operator_count"]),
    ([{**OPERATOR, "contact": "javascript:alert(1)"}, PARTNER], "managed-na-key",
     ["doc.malformed", "rollcall.unsafe_url"]),
], ids=["managed-ok", "partner-holds-root", "na-holder-missing", "no-operator", "two-operators", "js-contact"])
def test_roll_call_rules(parties, custody, expected):
    result = folder_with("roll-call.json", make_roll_call(A, parties, custody)).verify()
    assert codes(result) == sorted(expected)


def test_customer_held_custody_mismatch_is_a_warning():
    result = folder_with("roll-call.json", make_roll_call(A, [OPERATOR, PARTNER], "customer-held")).verify()
    assert codes(result) == [] and codes(result, "warning") == ["rollcall.custody_mismatch"]


def test_missing_roll_call_is_a_warning():
    folder = Folder.complete(A)
    del folder.files["sovereigns/alpha/roll-call.json"]
    assert codes(folder.verify(), "warning") == ["rollcall.missing"]


@pytest.mark.parametrize("mutate, expected", [
    (lambda f: f.put("genesis.signed.json", make_genesis(B)), ["genesis.id_mismatch", "genesis.root_mismatch",
                                                                    "identity.root_mismatch"]),
    (lambda f: f.put("genesis.signed.json", sign(make_genesis(A), "genesis-block", A.na)), ["sig.wrong_role"]),
    (lambda f: f.files.pop("sovereigns/alpha/keys/root.pub"), ["key.root_unpinned"]),
    (lambda f: f.files.pop("sovereigns/alpha/genesis.signed.json"), ["layout.missing_file"]),
    (lambda f: f.put("notes.txt", b"hello"), []),
    (lambda f: f.put("secrets/alpha.key", b"# Ed25519 Private Key\nAAAA\n"), ["redaction.private_key"]),
    (lambda f: f.put("sovereign.json", {"sovereign_id": "alpha", "root_public_key": B.root.public}),
     ["identity.root_mismatch"]),
], ids=["other-genesis", "genesis-by-na", "unpinned", "no-genesis", "stray-file", "private-key", "identity-root"])
def test_folder_rules(mutate, expected):
    folder = Folder.complete(A)
    mutate(folder)
    assert codes(folder.verify()) == sorted(expected)


def test_lock_pin_wins_over_root_file():
    result = Folder.complete(A).verify(lock_pin=B.root.public)
    assert codes(result) == ["genesis.root_mismatch", "lock.root_mismatch"]
    assert not result.sovereign.verified


def test_row_and_file_compare_by_canonical_bytes_not_python_equality():
    from publisher.checks.treaties import _same_document
    assert _same_document({"a": 1, "b": [True]}, {"b": [True], "a": 1})        # key order is not content
    assert not _same_document({"a": 1}, {"a": True})                          # equal in Python, not in JSON
    assert not _same_document({"a": 1}, {"a": 1.0})
    assert not _same_document({"a": {"x": "1"}}, {"a": {"x": "2"}})
