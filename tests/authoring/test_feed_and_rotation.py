"""`handshake feed revoke|refresh` (RFC-004 sequence semantics) and `handshake na rotate`
(FORMATS §3 succession form)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from publisher import crypto
from publisher.canonical import signed_bytes
from publisher.checks.key_history import succession_digest
from publisher.keyfile import parse_public_key_file
from tests.authoring.conftest import Keys, Runner, at, ok, read
from tests.authoring.test_treaties import errors, signed_by

FEED = "sovereigns/alpha/revocation-feed.json"


def feed(repo: Path) -> dict[str, Any]:
    return read(repo, FEED)


def test_revocations_accumulate_sorted_and_the_sequence_counts_them(two_sovereigns: Path, hs: Runner,
                                                                     keys: Keys) -> None:
    ok(hs("feed", "revoke", "att-b", "att-a", "--reason", "member_departed", "--na-key", keys.path("alpha-na"),
          "--at", at(1)))
    first = feed(two_sovereigns)
    assert first["revoked_attestation_ids"] == ["att-a", "att-b"] and first["sequence"] == 2
    assert first["revocation_reasons"] == {"att-a": "member_departed", "att-b": "member_departed"}
    assert first["issuer_sovereign_id"] == "alpha" and signed_by(first, keys.public["alpha-na"], "revocation-feed")
    assert "revoked_grant_ids" not in first
    ok(hs("feed", "revoke", "att-0", "--reason", "key_compromise", "--na-key", keys.path("alpha-na"), "--at", at(2)))
    second = feed(two_sovereigns)
    assert second["revoked_attestation_ids"] == ["att-0", "att-a", "att-b"] and second["sequence"] == 3
    assert second["revocation_reasons"]["att-0"] == "key_compromise" and second["feed_id"] != first["feed_id"]
    assert errors(two_sovereigns, at(3)) == []


def test_sequence_continues_from_a_reference_feed_that_counts_more_than_it_lists(two_sovereigns: Path, hs: Runner,
                                                                                  keys: Keys) -> None:
    ok(hs("feed", "revoke", "att-a", "--reason", "x", "--na-key", keys.path("alpha-na"), "--at", at(1)))
    body = feed(two_sovereigns)
    body["sequence"] = 5                          # 1.8: superseded copies and grants count too
    body["signatures"] = []
    body["signatures"] = [{"key_id": "alpha-na", "sig": _sign(keys, "alpha-na", body, "revocation-feed")}]
    (two_sovereigns / FEED).write_text(json.dumps(body))
    ok(hs("feed", "revoke", "att-b", "--reason", "y", "--na-key", keys.path("alpha-na"), "--at", at(2)))
    assert feed(two_sovereigns)["sequence"] == 6


def _sign(keys: Keys, name: str, body: dict[str, Any], kind: str) -> str:
    from publisher.authoring.keys import load_signer
    return load_signer(keys.path(name), repo=None, what="test").sign_bytes(signed_bytes(body, kind))


def test_an_id_is_revoked_once(two_sovereigns: Path, hs: Runner, keys: Keys) -> None:
    ok(hs("feed", "revoke", "att-a", "--reason", "x", "--na-key", keys.path("alpha-na"), "--at", at(1)))
    result = hs("feed", "revoke", "att-a", "--reason", "again", "--na-key", keys.path("alpha-na"), "--at", at(2))
    assert result.code == 1 and "already revoked" in result.err


def test_refresh_re_signs_with_the_same_sequence(two_sovereigns: Path, hs: Runner, keys: Keys) -> None:
    ok(hs("feed", "revoke", "att-a", "--reason", "x", "--na-key", keys.path("alpha-na"), "--at", at(1)))
    first = feed(two_sovereigns)
    ok(hs("feed", "refresh", "--na-key", keys.path("alpha-na"), "--at", at(2)))
    second = feed(two_sovereigns)
    assert second["sequence"] == first["sequence"] and second["feed_id"] != first["feed_id"]
    assert second["issued_at"] == at(2) and second["revoked_attestation_ids"] == first["revoked_attestation_ids"]


def test_an_older_feed_never_replaces_a_newer_one(two_sovereigns: Path, hs: Runner, keys: Keys) -> None:
    ok(hs("feed", "revoke", "att-a", "--reason", "x", "--na-key", keys.path("alpha-na"), "--at", at(5)))
    result = hs("feed", "revoke", "att-b", "--reason", "x", "--na-key", keys.path("alpha-na"), "--at", at(4))
    assert result.code == 1 and "older" in result.err
    assert feed(two_sovereigns)["revoked_attestation_ids"] == ["att-a"]


def rotate(hs: Runner, keys: Keys, when: str, *extra: str) -> Any:
    return hs("na", "rotate", "--root-key", keys.path("alpha-root"), "--new-na-key", keys.path("alpha-na2"),
              "--na-key", keys.path("alpha-na"), "--succession-id", "succ-2", *extra, "--at", when)


def test_rotation_writes_a_three_signature_succession_and_moves_the_current_key(two_sovereigns: Path, hs: Runner,
                                                                                keys: Keys) -> None:
    ok(hs("treaty", "issue", "alpha", "beta", "--roles", "client", "--valid-for", "90d", "--treaty-id", "t-1",
          "--na-key", keys.path("alpha-na"), "--at", at(1)))
    result = ok(rotate(hs, keys, "2026-11-03T10:00:00.500000Z"))
    assert "re-sign under the new key: treaty t-1" in result.out
    assert "before 2026-11-04T10:05:00Z, re-sign" in result.out      # the Z form, as every other line
    assert "re-signed under the new key: sovereigns/alpha/roll-call.json" in result.out
    history = read(two_sovereigns, "sovereigns/alpha/key-history.json")
    [record] = history["successions"]
    assert record["succession_id"] == "succ-2" and record["key_sequence"] == 2
    assert "previous_succession_digest" not in record                    # omitted, not null, for the first
    assert record["issued_at"] == record["effective_at"] == "2026-11-03T10:00:00Z"   # whole seconds
    assert record["new_valid_to"] == "2027-11-03T10:00:00Z"
    assert (record["previous_public_key"], record["new_public_key"]) == (keys.public["alpha-na"],
                                                                         keys.public["alpha-na2"])
    message = signed_bytes(record, "key-succession-record")
    order = [next(name for name in ("alpha-root", "alpha-na2", "alpha-na")
                  if crypto.verify(keys.public[name], message, crypto.decode_signature(s["sig"]) or b""))
             for s in record["signatures"]]
    assert order == ["alpha-root", "alpha-na2", "alpha-na"]
    assert [k["public_key"] for k in history["keys"]] == [keys.public["alpha-na"], keys.public["alpha-na2"]]
    assert history["signing_key_sequence"] == 2
    na_pub = (two_sovereigns / "sovereigns/alpha/keys/na.pub").read_bytes()
    assert parse_public_key_file(na_pub) == keys.public["alpha-na2"]
    assert read(two_sovereigns, "sovereigns/alpha/sovereign.json")["network_authority_public_key"] == \
        keys.public["alpha-na2"]
    assert errors(two_sovereigns, at(2)) == []
    # the outgoing key no longer signs after the hand-over; the new one does, and renew re-signs t-1
    late = hs("treaty", "issue", "alpha", "beta", "--roles", "client", "--valid-for", "9d",
              "--na-key", keys.path("alpha-na"), "--at", at(2, hours=1))
    assert late.code == 1 and "does not sign documents dated" in late.err and "+00:00" not in late.err
    ok(hs("treaty", "renew", "t-1", "--new-treaty-id", "t-2", "--na-key", keys.path("alpha-na2"),
          "--at", at(2, hours=1)))
    assert errors(two_sovereigns, at(10)) == []


def test_a_second_rotation_links_the_previous_record(two_sovereigns: Path, hs: Runner, keys: Keys) -> None:
    ok(rotate(hs, keys, at(1)))
    ok(hs("na", "rotate", "--root-key", keys.path("alpha-root"), "--new-na-key", keys.path("board"),
          "--na-key", keys.path("alpha-na2"), "--at", at(2)))
    first, second = read(two_sovereigns, "sovereigns/alpha/key-history.json")["successions"]
    assert second["previous_succession_digest"] == succession_digest(first)
    assert second["key_sequence"] == 3 and second["previous_key_id"] == "alpha-na2"
    assert errors(two_sovereigns, at(3)) == []


@pytest.mark.parametrize("args, message", [
    (("--new-na-key", "alpha-root", "--na-key", "alpha-na"), "already used"),
    (("--new-na-key", "alpha-na", "--na-key", "alpha-na"), "already used"),
    (("--new-na-key", "alpha-na2", "--na-key", "beta-na"), "current NA key"),
    (("--new-na-key", "alpha-na2", "--na-key", "alpha-na", "--effective-at", at(0)), "backdated"),
    (("--new-na-key", "alpha-na2", "--na-key", "alpha-na", "--valid-days", "4000"), "valid-days"),
], ids=["new-is-root", "new-is-current", "wrong-previous", "backdated", "too-long"])
def test_rotation_refusals(two_sovereigns: Path, hs: Runner, keys: Keys, args: tuple[str, ...], message: str) -> None:
    resolved = [keys.path(a) if a in keys.public else a for a in args]
    result = hs("na", "rotate", "--root-key", keys.path("alpha-root"), *resolved, "--at", at(1))
    assert result.code == 1 and message in result.err
    assert read(two_sovereigns, "sovereigns/alpha/key-history.json")["successions"] == []


def test_only_the_pinned_root_names_the_next_key(two_sovereigns: Path, hs: Runner, keys: Keys) -> None:
    result = hs("na", "rotate", "--root-key", keys.path("beta-root"), "--sovereign", "alpha", "--new-na-key",
                keys.path("alpha-na2"), "--na-key", keys.path("alpha-na"), "--at", at(1))
    assert result.code == 1 and "not the pinned root key of alpha" in result.err


def test_a_rotation_names_the_treaties_of_others_that_pin_the_retired_key(two_sovereigns: Path, hs: Runner,
                                                                          keys: Keys) -> None:
    """beta's treaty pins alpha's NA key: alpha's rotation leaves it pinning a retired key, a
    warning in a file alpha did not write and cannot fix. The command says so, by file."""
    ok(hs("treaty", "issue", "beta", "alpha", "--roles", "client", "--valid-for", "90d", "--treaty-id", "b-1",
          "--na-key", keys.path("beta-na"), "--at", at(1)))
    result = ok(rotate(hs, keys, at(2)))
    lines = result.out.splitlines()
    heading = lines.index("warnings this change causes in files it did not write (their sovereigns must act):")
    assert "treaty.subject_key_retired" in lines[heading + 1]
    assert "sovereigns/beta/treaties/b-1.json" in lines[heading + 1]
    # A later command that causes nothing new says nothing of it.
    again = ok(hs("feed", "revoke", "att-1", "--reason", "member_departed", "--sovereign", "alpha",
                  "--na-key", keys.path("alpha-na2"), "--at", at(3)))
    assert "files it did not write" not in again.out
