"""Field-name rules of the redaction scan: the memoised verdict equals the direct one, for
names the memo keeps and for the long names it does not (only hostile input has those)."""
from __future__ import annotations

import base64

import pytest

from publisher import crypto
from publisher.checks import redaction

NAMES = ["api_key", "apiKey", "token_id", "refresh_token", "seed", "node_seed", "privateKey", "x-admin-nonce",
         "Authorization", "display_name", "password", "password_hash", "public_key"]


def test_memoised_and_direct_verdicts_agree() -> None:
    long = "x" * (redaction.MEMO_NAME_LENGTH + 50)
    for name in NAMES + [long + "_password", long + "_name", "a" + long + "privatekey"]:
        assert redaction._name_rule_memo(name) == redaction._name_rule(name), name


def test_long_secret_names_are_still_found() -> None:
    long = "x" * (redaction.MEMO_NAME_LENGTH + 50) + "_password"
    found = redaction.scan_bytes("doc.json", b'{"password": 1}', {long: "hunter2"})
    assert [f.code for f in found] == ["redaction.secret_field"]
    assert redaction._name_rule_memo.cache_info().currsize <= 4096



def test_a_seed_in_a_key_file_is_found_and_a_signed_key_is_not_derived(monkeypatch: pytest.MonkeyPatch) -> None:
    """A .pub file holding a seed is found by the key derived from it; a value that a signed
    document names as a public key is taken as one, without deriving anything."""
    seed = bytes(range(32))
    public = crypto.public_key_of(seed)
    pasted = base64.b64encode(seed).decode("ascii")
    found = redaction.scan_key_files({"keys/root.pub": pasted, "keys/na.pub": public}, {public}, {public})
    assert [(f.path, f.code) for f in found] == [("keys/root.pub", "redaction.private_key")]
    derived: list[bytes] = []
    real = crypto.public_key_of
    monkeypatch.setattr(crypto, "public_key_of", lambda s: derived.append(s) or real(s))
    redaction.scan_key_files({"keys/na.pub": public}, {public}, {public})
    assert derived == []
    redaction.scan_key_files({"keys/na.pub": public}, {public})     # not named by a signed document
    assert derived == [base64.b64decode(public)]
