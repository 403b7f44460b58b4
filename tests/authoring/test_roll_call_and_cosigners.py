"""`handshake roll-call` edits, and k-of-n: root-declared co-signers, `sign` one signer at a
time, and what the verifier counts."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.authoring.conftest import Keys, Runner, at, ok, read
from tests.authoring.test_treaties import errors, signed_by

ROLL_CALL = "sovereigns/alpha/roll-call.json"


def test_parties_are_added_changed_and_removed_and_the_roll_call_re_signed(two_sovereigns: Path, hs: Runner,
                                                                           keys: Keys) -> None:
    ok(hs("roll-call", "alpha", "--party", "Northwind", "--roles", "managing-partner,na-host",
          "--holds-keys", "network-authority", "--url", "https://northwind.example",
          "--note", "Hosts the NA; never holds root or operator keys.", "--custody-model", "managed-na-key",
          "--na-key", keys.path("alpha-na"), "--at", at(1)))
    ok(hs("roll-call", "alpha", "--party", "Alpha Commons", "--holds-keys", "root,operator",
          "--na-key", keys.path("alpha-na"), "--at", at(2)))
    doc = read(two_sovereigns, ROLL_CALL)
    assert doc["custody_model"] == "managed-na-key" and doc["issued_at"] == at(2)
    assert [(p["name"], p["roles"], p["holds_keys"]) for p in doc["parties"]] == [
        ("Alpha Commons", ["operator"], ["root", "operator"]),
        ("Northwind", ["managing-partner", "na-host"], ["network-authority"])]
    assert doc["parties"][0]["contact"] == "mailto:ops@alpha.example"          # unchanged fields kept
    assert signed_by(doc, keys.public["alpha-na"], "roll-call")
    ok(hs("roll-call", "alpha", "--remove-party", "Northwind", "--party", "Alpha Commons",
          "--holds-keys", "root,network-authority,operator", "--custody-model", "customer-held",
          "--na-key", keys.path("alpha-na"), "--at", at(3)))
    assert [p["name"] for p in read(two_sovereigns, ROLL_CALL)["parties"]] == ["Alpha Commons"]
    assert errors(two_sovereigns, at(4)) == []


def test_a_warning_on_the_written_file_is_shown_not_only_counted(two_sovereigns: Path, hs: Runner,
                                                                  keys: Keys) -> None:
    ok(hs("roll-call", "alpha", "--party", "Northwind", "--roles", "managing-partner,na-host",
          "--holds-keys", "network-authority", "--na-key", keys.path("alpha-na"), "--at", at(1)))
    result = ok(hs("roll-call", "alpha", "--custody-model", "customer-held", "--na-key", keys.path("alpha-na"),
                   "--at", at(2)))
    assert "1 warning(s)" in result.out
    assert "rollcall.custody_mismatch" in result.out and f"{ROLL_CALL}#" in result.out


@pytest.mark.parametrize("args, message", [
    (("--party", "Helper", "--roles", "managing-partner", "--holds-keys", "root"), "rollcall.partner_holds_keys"),
    (("--party", "Second", "--roles", "operator"), "rollcall.operator_count"),
    (("--party", "Alpha Commons", "--holds-keys", "root,operator", "--custody-model", "managed-na-key"),
     "rollcall.na_holder_undisclosed"),
    (("--threshold", "2"), "cosigners.threshold_unreachable"),
    (("--party", "New"), "needs --roles"),
    (("--remove-party", "Nobody"), "no party named"),
    (("--party", "X", "--roles", "auditor", "--holds-keys", "admin"), "unknown key role"),
], ids=["partner-holds-root", "two-operators", "undisclosed-na-holder", "unreachable-threshold",
        "new-party-without-roles", "remove-unknown", "unknown-key-role"])
def test_roll_calls_that_break_rfc_008_are_refused(two_sovereigns: Path, hs: Runner, keys: Keys,
                                                     args: tuple[str, ...], message: str) -> None:
    before = (two_sovereigns / ROLL_CALL).read_bytes()
    result = hs("roll-call", "alpha", *args, "--na-key", keys.path("alpha-na"), "--at", at(1))
    assert result.code == 1 and message in result.err
    assert (two_sovereigns / ROLL_CALL).read_bytes() == before


def k_of_n(hs: Runner, keys: Keys) -> None:
    """alpha: co-signers board and auditor declared by the root, then threshold 2."""
    for name in ("board", "auditor"):
        ok(hs("cosigners", "add", "alpha", "--cosigner-key", keys.pub(name), "--valid-from", at(0),
              "--root-key", keys.path("alpha-root"), "--at", at(1)))
    ok(hs("roll-call", "alpha", "--threshold", "2", "--na-key", keys.path("alpha-na"), "--at", at(1)))


def test_a_threshold_document_is_pending_until_a_co_signer_signs(two_sovereigns: Path, hs: Runner,
                                                                 keys: Keys) -> None:
    k_of_n(hs, keys)
    declaration = read(two_sovereigns, "sovereigns/alpha/na-cosigners.json")
    assert [c["key_id"] for c in declaration["cosigners"]] == ["auditor", "board"]
    assert signed_by(declaration, keys.public["alpha-root"], "na-cosigners")
    issued = ok(hs("treaty", "issue", "alpha", "beta", "--roles", "client", "--valid-for", "30d",
                   "--treaty-id", "t-1", "--na-key", keys.path("alpha-na"), "--at", at(2)))
    assert "PENDING" in issued.out and "sig.threshold_not_met" in issued.out
    assert errors(two_sovereigns, at(2)) == ["sig.threshold_not_met sovereigns/alpha/treaties/t-1.json"]
    path = str(two_sovereigns / "sovereigns/alpha/treaties/t-1.json")
    again = hs("sign", path, "--key", keys.path("alpha-na"), "--at", at(2))
    assert again.code == 1 and "already carries a signature" in again.err
    stranger = hs("sign", path, "--key", keys.path("gamma-na"), "--at", at(2))
    assert stranger.code == 1 and "not a key the verifier counts" in stranger.err
    signed = ok(hs("sign", path, "--key", keys.path("board"), "--at", at(2)))
    assert "PENDING" not in signed.out
    body = read(two_sovereigns, "sovereigns/alpha/treaties/t-1.json")
    assert [s["key_id"] for s in body["signatures"]] == ["alpha-na", "board"]
    rows = read(two_sovereigns, "sovereigns/alpha/recognition-treaties.json")["recognition_treaties"]
    assert rows[0]["treaty"] == body
    assert errors(two_sovereigns, at(3)) == []


def test_co_signers_never_sign_alone(two_sovereigns: Path, hs: Runner, keys: Keys) -> None:
    k_of_n(hs, keys)
    ok(hs("feed", "revoke", "att-1", "--reason", "x", "--na-key", keys.path("alpha-na"), "--at", at(2)))
    feed = "sovereigns/alpha/revocation-feed.json"
    ok(hs("sign", str(two_sovereigns / feed), "--key", keys.path("board"), "--at", at(2)))
    ok(hs("sign", str(two_sovereigns / feed), "--key", keys.path("auditor"), "--at", at(2)))
    assert errors(two_sovereigns, at(3)) == []
    # two co-signatures without the NA key's do not make a threshold
    doc = read(two_sovereigns, feed)
    doc["signatures"] = doc["signatures"][1:]
    (two_sovereigns / feed).write_text(json.dumps(doc))
    assert errors(two_sovereigns, at(3)) == [f"sig.threshold_not_met {feed}"]


def test_a_co_signer_outside_its_window_does_not_count(two_sovereigns: Path, hs: Runner, keys: Keys) -> None:
    ok(hs("cosigners", "add", "alpha", "--cosigner-key", keys.pub("board"), "--valid-from", at(0),
          "--valid-for", "2d", "--root-key", keys.path("alpha-root"), "--at", at(1)))
    ok(hs("roll-call", "alpha", "--threshold", "2", "--na-key", keys.path("alpha-na"), "--at", at(1)))
    ok(hs("treaty", "issue", "alpha", "beta", "--roles", "client", "--valid-for", "30d",
          "--treaty-id", "t-late", "--na-key", keys.path("alpha-na"), "--at", at(3)))
    result = hs("sign", str(two_sovereigns / "sovereigns/alpha/treaties/t-late.json"), "--key", keys.path("board"),
                "--at", at(3))
    assert result.code == 1 and "not a key the verifier counts" in result.err


@pytest.mark.parametrize("key, message", [
    ("alpha-na", "already this sovereign's"), ("alpha-root", "already this sovereign's"),
], ids=["na-key", "root-key"])
def test_a_co_signer_is_a_distinct_key(two_sovereigns: Path, hs: Runner, keys: Keys, key: str, message: str) -> None:
    result = hs("cosigners", "add", "alpha", "--cosigner-key", keys.pub(key), "--root-key",
                keys.path("alpha-root"), "--at", at(1))
    assert result.code == 1 and message in result.err


def test_only_the_root_declares_co_signers(two_sovereigns: Path, hs: Runner, keys: Keys) -> None:
    result = hs("cosigners", "add", "alpha", "--cosigner-key", keys.pub("board"), "--root-key",
                keys.path("alpha-na"), "--at", at(1))
    assert result.code == 1 and "not the pinned root key" in result.err


def test_removing_a_needed_co_signer_is_refused(two_sovereigns: Path, hs: Runner, keys: Keys) -> None:
    k_of_n(hs, keys)
    ok(hs("cosigners", "remove", "alpha", "auditor", "--root-key", keys.path("alpha-root"), "--at", at(2)))
    result = hs("cosigners", "remove", "alpha", "board", "--root-key", keys.path("alpha-root"), "--at", at(3))
    assert result.code == 1 and "cosigners.threshold_unreachable" in result.err


def test_a_declaration_changed_after_the_root_signed_it_grants_nothing(two_sovereigns: Path, hs: Runner,
                                                                        keys: Keys) -> None:
    k_of_n(hs, keys)
    path = two_sovereigns / "sovereigns/alpha/na-cosigners.json"
    doc = json.loads(path.read_text())
    doc["cosigners"][0]["valid_to"] = "2099-01-01T00:00:00Z"          # widened without the root
    path.write_text(json.dumps(doc))
    found = errors(two_sovereigns, at(3))
    assert "sig.invalid sovereigns/alpha/na-cosigners.json" in found
    assert f"cosigners.threshold_unreachable {ROLL_CALL}" in found


def test_a_declaration_naming_the_na_key_is_refused_by_the_verifier(two_sovereigns: Path, keys: Keys) -> None:
    from publisher.authoring.documents import COSIGNERS_KIND, build_cosigners, dump
    from publisher.authoring.keys import load_signer
    from tests.authoring.conftest import START
    root = load_signer(keys.path("alpha-root"), repo=None, what="test")
    body = build_cosigners(sovereign_id="alpha", issued_at=START, issued_by="alpha-root", cosigners=[
        {"key_id": "sneaky", "public_key": keys.public["alpha-na"], "valid_from": at(0), "valid_to": at(9)}])
    body["signatures"] = [root.signature(body, COSIGNERS_KIND)]
    (two_sovereigns / "sovereigns/alpha/na-cosigners.json").write_bytes(dump(body))
    assert errors(two_sovereigns, at(1)) == ["cosigners.role_reuse sovereigns/alpha/na-cosigners.json"]
