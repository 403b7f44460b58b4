"""`handshake treaty ...`: the reference's issue / renew / replace / revoke semantics, suspend
and resume, terminal revocation, and who may sign."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from publisher import crypto
from publisher.canonical import signed_bytes
from publisher.source import WorktreeSource
from publisher.timestamps import parse
from publisher.verify import verify_repository
from tests.authoring.conftest import Keys, Runner, at, ok, read


def issue(hs: Runner, keys: Keys, treaty_id: str = "t-1", *extra: str, when: str | None = None) -> None:
    ok(hs("treaty", "issue", "alpha", "beta", "--roles", "client,service:data", "--valid-for", "90d",
          "--na-key", keys.path("alpha-na"), "--treaty-id", treaty_id, "--claim", "purpose=exchange",
          *extra, "--at", when or at(1)))


def treaty(repo: Path, treaty_id: str) -> dict[str, Any]:
    return read(repo, f"sovereigns/alpha/treaties/{treaty_id}.json")


def rows(repo: Path) -> dict[str, dict[str, Any]]:
    doc = read(repo, "sovereigns/alpha/recognition-treaties.json")
    assert doc["count"] == len(doc["recognition_treaties"])
    return {r["treaty"]["treaty_id"]: r for r in doc["recognition_treaties"]}


def errors(repo: Path, when: str) -> list[str]:
    result = verify_repository(WorktreeSource(repo), at=parse(when))
    return [f"{f.code} {f.path}" for f in result.findings if f.severity.value == "error"]


def signed_by(document: dict[str, Any], public_key: str, kind: str = "recognition-treaty") -> bool:
    message = signed_bytes(document, kind)
    return any(crypto.verify(public_key, message, crypto.decode_signature(s["sig"]) or b"")
               for s in document["signatures"])


def test_issue_signs_with_the_na_key_and_pins_the_subjects_current_key(two_sovereigns: Path, hs: Runner,
                                                                      keys: Keys) -> None:
    issue(hs, keys)
    body = treaty(two_sovereigns, "t-1")
    assert list(body) == ["treaty_id", "issuer_sovereign_id", "subject_sovereign_id", "subject_public_keys",
                          "scope", "status", "issued_at", "valid_from", "expires_at", "issued_by", "metadata",
                          "signatures"]
    assert body["subject_public_keys"] == [keys.public["beta-na"]]
    assert body["scope"] == {"allowed_roles": ["role:client", "role:service:data"], "accepted_statuses": ["active"],
                             "claims": {"purpose": "exchange"}}
    assert (body["issued_at"], body["valid_from"], body["expires_at"]) == (at(1), at(1), at(91))
    assert signed_by(body, keys.public["alpha-na"]) and body["issued_by"] == "alpha-na"
    assert rows(two_sovereigns)["t-1"] == {"treaty": body, "status": "active", "revoked_at": None,
                                           "revocation_reason": None, "reissued_from": None, "superseded_by": None}
    assert errors(two_sovereigns, at(2)) == []


def test_an_external_subject_needs_its_key(two_sovereigns: Path, hs: Runner, keys: Keys) -> None:
    result = hs("treaty", "issue", "alpha", "far-east", "--roles", "client", "--valid-for", "30d",
                "--na-key", keys.path("alpha-na"), "--at", at(1))
    assert result.code == 1 and "--subject-key" in result.err
    ok(hs("treaty", "issue", "alpha", "far-east", "--roles", "client", "--valid-for", "30d", "--treaty-id", "t-x",
          "--subject-key", keys.pub("gamma-na"), "--na-key", keys.path("alpha-na"), "--at", at(1)))
    assert treaty(two_sovereigns, "t-x")["subject_public_keys"] == [keys.public["gamma-na"]]


@pytest.mark.parametrize("issuer, subject, message", [
    ("far-east", "alpha", "the issuer comes first (handshake treaty issue ISSUER SUBJECT)"),
    ("aplha", "far-east", "no sovereign 'aplha'"),
], ids=["swapped-order", "typo"])
def test_an_unknown_issuer_says_what_was_meant(two_sovereigns: Path, hs: Runner, keys: Keys, issuer: str,
                                               subject: str, message: str) -> None:
    result = hs("treaty", "issue", issuer, subject, "--roles", "client", "--valid-for", "30d",
                "--subject-key", keys.pub("gamma-na"), "--na-key", keys.path("alpha-na"), "--at", at(1))
    assert result.code == 1 and message in result.err
    if issuer == "aplha":
        assert "(did you mean 'alpha'?)" in result.err


def test_a_subject_key_that_is_not_the_subjects_is_refused(two_sovereigns: Path, hs: Runner, keys: Keys) -> None:
    result = hs("treaty", "issue", "alpha", "beta", "--roles", "client", "--valid-for", "30d",
                "--subject-key", keys.public["gamma-na"], "--na-key", keys.path("alpha-na"), "--at", at(1))
    assert result.code == 1 and "not an NA key of 'beta'" in result.err


@pytest.mark.parametrize("key, message", [
    ("alpha-root", "root key"), ("beta-na", "not an NA key of alpha"), ("gamma-na", "not an NA key of alpha"),
], ids=["root-key", "other-sovereigns-na", "unknown-key"])
def test_only_the_issuers_na_key_signs(two_sovereigns: Path, hs: Runner, keys: Keys, key: str, message: str) -> None:
    result = hs("treaty", "issue", "alpha", "beta", "--roles", "client", "--valid-for", "30d",
                "--na-key", keys.path(key), "--at", at(1))
    assert result.code == 1 and message in result.err
    assert not (two_sovereigns / "sovereigns" / "alpha" / "treaties").exists()


@pytest.mark.parametrize("roles, message", [
    ("superuser", "invalid role"), ("service:", "invalid role"), (",", "no roles"),
], ids=["unknown-role", "service-without-name", "empty"])
def test_roles_follow_the_reference_na(two_sovereigns: Path, hs: Runner, keys: Keys, roles: str, message: str) -> None:
    result = hs("treaty", "issue", "alpha", "beta", "--roles", roles, "--valid-for", "30d",
                "--na-key", keys.path("alpha-na"), "--at", at(1))
    assert result.code == 1 and message in result.err


def test_renew_keeps_subject_keys_and_scope_and_retires_the_old_row(two_sovereigns: Path, hs: Runner,
                                                                    keys: Keys) -> None:
    issue(hs, keys)
    ok(hs("treaty", "renew", "t-1", "--na-key", keys.path("alpha-na"), "--new-treaty-id", "t-2", "--at", at(30)))
    old, new = treaty(two_sovereigns, "t-1"), treaty(two_sovereigns, "t-2")
    assert new["metadata"] == {"renew_of": "t-1"}
    assert new["scope"] == old["scope"] and new["subject_public_keys"] == old["subject_public_keys"]
    assert (new["valid_from"], new["expires_at"]) == (at(30), at(120))              # the old window's length
    table = rows(two_sovereigns)
    assert table["t-1"]["status"] == "revoked" and table["t-1"]["revocation_reason"] == "renewed_by:t-2"
    assert table["t-1"]["revoked_at"] == "2026-12-01T10:00:00+00:00"
    assert table["t-1"]["treaty"] == old                                             # body unchanged, as the NA
    assert table["t-2"]["status"] == "active"
    assert errors(two_sovereigns, at(31)) == []


def test_replace_takes_a_new_scope(two_sovereigns: Path, hs: Runner, keys: Keys) -> None:
    issue(hs, keys)
    ok(hs("treaty", "replace", "t-1", "--roles", "bridge", "--valid-for", "10d", "--new-treaty-id", "t-2",
          "--na-key", keys.path("alpha-na"), "--at", at(2)))
    new = treaty(two_sovereigns, "t-2")
    assert new["scope"]["allowed_roles"] == ["role:bridge"] and new["metadata"] == {"replace_of": "t-1"}
    assert new["scope"]["claims"] == {"purpose": "exchange"}                        # kept unless given
    assert rows(two_sovereigns)["t-1"]["revocation_reason"] == "replaced_by:t-2"


def test_suspend_and_resume_re_sign_the_status(two_sovereigns: Path, hs: Runner, keys: Keys) -> None:
    issue(hs, keys)
    ok(hs("treaty", "suspend", "t-1", "--na-key", keys.path("alpha-na"), "--at", at(2)))
    body = treaty(two_sovereigns, "t-1")
    assert body["status"] == "suspended" and body["issued_at"] == at(2) and signed_by(body, keys.public["alpha-na"])
    assert rows(two_sovereigns)["t-1"]["treaty"] == body and rows(two_sovereigns)["t-1"]["status"] == "active"
    assert hs("treaty", "suspend", "t-1", "--na-key", keys.path("alpha-na"), "--at", at(3)).code == 1
    ok(hs("treaty", "resume", "t-1", "--na-key", keys.path("alpha-na"), "--at", at(4)))
    assert treaty(two_sovereigns, "t-1")["status"] == "active"
    assert errors(two_sovereigns, at(5)) == []


def test_revoke_defaults_to_the_row_form_and_is_terminal(two_sovereigns: Path, hs: Runner, keys: Keys) -> None:
    issue(hs, keys)
    before = treaty(two_sovereigns, "t-1")
    ok(hs("treaty", "revoke", "t-1", "--reason", "member_departed", "--at", at(2)))
    assert treaty(two_sovereigns, "t-1") == before
    row = rows(two_sovereigns)["t-1"]
    assert (row["status"], row["revocation_reason"]) == ("revoked", "member_departed")
    for action in (("renew", "t-1"), ("resume", "t-1"), ("suspend", "t-1")):
        result = hs("treaty", *action, "--na-key", keys.path("alpha-na"), "--at", at(3))
        assert result.code == 1 and "terminal" in result.err
    assert hs("treaty", "revoke", "t-1", "--reason", "again", "--at", at(3)).code == 1


def test_revoke_in_signed_form_also_re_signs_the_body(two_sovereigns: Path, hs: Runner, keys: Keys) -> None:
    issue(hs, keys)
    assert hs("treaty", "revoke", "t-1", "--reason", "x", "--form", "signed", "--at", at(2)).code == 1
    ok(hs("treaty", "revoke", "t-1", "--reason", "compromise", "--form", "signed",
          "--na-key", keys.path("alpha-na"), "--at", at(2)))
    body = treaty(two_sovereigns, "t-1")
    assert body["status"] == "revoked" and signed_by(body, keys.public["alpha-na"])
    assert rows(two_sovereigns)["t-1"]["status"] == "revoked" and rows(two_sovereigns)["t-1"]["treaty"] == body
    assert errors(two_sovereigns, at(3)) == []


def test_a_newer_treaty_is_never_replaced_by_an_older_signature(two_sovereigns: Path, hs: Runner,
                                                               keys: Keys) -> None:
    issue(hs, keys, when=at(5))
    before = (two_sovereigns / "sovereigns/alpha/treaties/t-1.json").read_bytes()
    result = hs("treaty", "suspend", "t-1", "--na-key", keys.path("alpha-na"), "--at", at(4))
    assert result.code == 1 and "older" in result.err
    assert (two_sovereigns / "sovereigns/alpha/treaties/t-1.json").read_bytes() == before


def test_a_taken_treaty_id_is_refused(two_sovereigns: Path, hs: Runner, keys: Keys) -> None:
    issue(hs, keys)
    result = hs("treaty", "issue", "alpha", "beta", "--roles", "client", "--valid-for", "30d",
                "--treaty-id", "t-1", "--na-key", keys.path("alpha-na"), "--at", at(2))
    assert result.code == 1 and "already used" in result.err
