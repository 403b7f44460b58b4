"""Field-name rules of the redaction scan: the memoised verdict equals the direct one, for
names the memo keeps and for the long names it does not (only hostile input has those)."""
from __future__ import annotations

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
