"""The committed hostile corpus: one attack per folder, each with its exact reason codes.

For every attack the verifier must (1) not raise, (2) report no `internal.check_failed`,
(3) report exactly the listed codes, no more and no fewer, and (4) report the first listed
code at the listed file. The same holds through `handshake verify --format json`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from hostile_repo import attack_names, corpus_dir, materialize
from hostile_world import ALPHA, NOW, TREATY
from make_corpus import corpus_tree, on_disk
from publisher.cli import main as cli_main
from publisher.codes import REGISTRY
from publisher.verify import Verification, verify_path

A = "sovereigns/alpha"
T = TREATY
ROWS = f"{A}/recognition-treaties.json"
FEED = f"{A}/revocation-feed.json"
ROLL = f"{A}/roll-call.json"
IDENT = f"{A}/sovereign.json"
GEN = f"{A}/genesis.signed.json"
HIST = f"{A}/key-history.json"


@dataclass(frozen=True)
class Case:
    name: str
    codes: tuple[str, ...]     # every code reported; the first is the attack's own
    path: str                  # where the first code must be reported

    def __str__(self) -> str:
        return self.name


PIN = "coalition.genesis_pin_mismatch"   # the coalition pins the genesis bytes: any change shows
CASES = [
    # signatures and roles
    Case("treaty-tampered-after-signing", ("sig.invalid",), T),
    Case("treaty-signed-by-root-key", ("sig.wrong_role",), T),
    Case("treaty-signed-by-operator-key", ("sig.wrong_role", "key.operator_file"), T),
    Case("treaty-signed-by-foreign-key", ("sig.foreign_key",), T),
    Case("treaty-signed-by-retired-na-key", ("sig.key_not_valid_at_time", "treaty.subject_key_retired"), T),
    Case("treaty-unsigned", ("sig.missing",), T),
    Case("treaty-signature-base64url", ("sig.malformed",), T),
    Case("treaty-signature-too-many", ("limits.too_many_signatures", "doc.malformed"), T),
    Case("treaty-duplicate-signer-below-threshold", ("sig.threshold_not_met", "cosigners.threshold_unreachable"), T),
    Case("treaty-signed-unknown-field", ("doc.unknown_field",), T),
    Case("treaty-unknown-field-after-signing", ("sig.invalid", "doc.unknown_field"), T),
    Case("treaty-subject-key-31-bytes", ("key.malformed", "treaty.subject_keys_mismatch"), T),
    Case("treaty-offset-timestamp-resigned", ("doc.non_canonical_form",), T),
    Case("treaty-wrong-issuer", ("treaty.wrong_issuer",), T),
    Case("treaty-replayed-from-another-sovereign", ("sig.foreign_key", "treaty.wrong_issuer"),
         f"{A}/treaties/ad66f3e5-da96-53e5-a749-84bb96c489f9.json"),
    Case("treaty-row-differs-from-file", ("treaty.row_mismatch",), ROWS),
    Case("treaty-id-path-traversal", ("treaty.filename_mismatch",), T),
    Case("treaty-subject-confusable-id", ("layout.deceptive_text", "treaty.external_subject"), T),
    Case("treaty-id-terminal-escape", ("layout.deceptive_text", "treaty.filename_mismatch"), T),
    # strict JSON
    Case("json-duplicate-key", ("json.duplicate_key",), T),
    Case("json-truncated", ("json.invalid",), T),
    Case("json-nan", ("json.invalid",), T),
    Case("json-infinity", ("json.invalid",), T),
    Case("json-number-1e400", ("json.non_finite_number",), T),
    Case("json-negative-zero", ("json.negative_zero",), T),
    Case("json-integer-2-64", ("json.integer_out_of_range",), T),
    Case("json-lone-surrogate", ("json.lone_surrogate",), T),
    Case("json-byte-order-mark", ("json.not_utf8",), T),
    Case("json-not-utf8", ("json.not_utf8",), T),
    Case("json-trailing-data", ("json.invalid",), T),
    Case("json-top-level-array", ("json.not_object",), T),
    Case("json-single-quotes", ("json.invalid",), T),
    Case("json-comment", ("json.invalid",), T),
    Case("json-empty-file", ("json.invalid",), T),
    # genesis: never its own proof
    Case("genesis-self-rooted-forgery", ("genesis.root_mismatch", "lock.root_mismatch", PIN), GEN),
    Case("genesis-signed-by-na-key", ("sig.wrong_role", PIN), GEN),
    Case("genesis-of-another-sovereign",
         ("genesis.root_mismatch", "genesis.id_mismatch", "identity.root_mismatch", PIN), GEN),
    Case("genesis-tampered-na-key", ("sig.invalid", PIN), GEN),
    Case("genesis-unsigned", ("sig.missing", PIN), GEN),
    Case("genesis-duplicate-key", ("json.duplicate_key", PIN), GEN),
    # revocation feed
    Case("feed-unsorted-ids-resigned", ("doc.non_canonical_form",), FEED),
    Case("feed-reason-for-unlisted-id-resigned", ("feed.reason_for_unlisted_id",), FEED),
    Case("feed-wrong-issuer-resigned", ("feed.wrong_issuer",), FEED),
    Case("feed-id-removed-after-signing", ("sig.invalid",), FEED),
    # NA key history
    Case("succession-chain-break-sequence", ("succession.chain_break",), HIST),
    Case("succession-chain-break-previous-key", ("succession.chain_break",), HIST),
    Case("succession-reuses-root-key", ("succession.key_reused",), HIST),
    Case("succession-reuses-previous-key", ("succession.key_reused",), HIST),
    Case("succession-without-root-signature", ("succession.invalid_root_signature",), HIST),
    Case("succession-root-signature-by-attacker", ("succession.invalid_root_signature",), HIST),
    Case("succession-without-new-key-signature", ("succession.invalid_new_key_signature",), HIST),
    Case("succession-backdated", ("succession.backdated",), HIST),
    Case("succession-tampered-after-signing", ("succession.invalid_root_signature",), HIST),
    Case("succession-refused-then-later-record", ("succession.chain_break", "succession.not_used"), HIST),
    Case("succession-forged-then-used", ("succession.invalid_root_signature", "sig.invalid"), HIST),
    Case("key-history-embeds-foreign-genesis", ("history.genesis_mismatch",), HIST),
    # private material (RFC-003)
    Case("private-key-genesis-mesh-file", ("redaction.private_key", "layout.unexpected_file"), f"{A}/keys/na.key"),
    Case("private-key-bare-seed-file", ("redaction.private_key", "layout.unexpected_file"), f"{A}/keys/root.key"),
    Case("private-key-pem-file", ("redaction.private_key", "layout.unexpected_file"), f"{A}/backup.pem"),
    Case("private-key-pem-in-readme", ("redaction.private_key",), f"{A}/README.md"),
    Case("private-key-in-identity-field", ("redaction.private_key",), IDENT),
    Case("private-key-as-root-public-key-file", ("redaction.private_key", "lock.root_mismatch"), f"{A}/keys/root.pub"),
    Case("private-key-as-public-key-file", ("redaction.private_key", "key.na_file_mismatch"), f"{A}/keys/na.pub"),
    Case("secret-field-in-identity", ("redaction.secret_field",), IDENT),
    Case("secret-passphrase-in-identity", ("redaction.secret_field",), IDENT),
    Case("secret-apikey-in-identity", ("redaction.secret_field",), IDENT),
    Case("secret-field-name-escaped", ("redaction.secret_field",), IDENT),
    Case("admin-material-in-identity", ("redaction.admin_material",), IDENT),
    Case("local-path-in-identity", ("redaction.local_path",), IDENT),
    # key files
    Case("key-file-31-bytes", ("key.file_malformed",), f"{A}/keys/na.pub"),
    Case("identity-na-key-31-bytes", ("key.malformed", "identity.na_key_unknown"), IDENT),
    Case("key-file-root-swapped", ("lock.root_mismatch",), f"{A}/keys/root.pub"),
    Case("key-file-na-not-current", ("key.na_file_mismatch",), f"{A}/keys/na.pub"),
    # links and roll call; the schemas also refuse a non-http(s)/mailto contact (doc.malformed)
    Case("identity-javascript-endpoint", ("identity.unsafe_url",), IDENT),
    Case("identity-data-url-endpoint", ("identity.unsafe_url",), IDENT),
    Case("identity-bidi-endpoint", ("identity.unsafe_url",), IDENT),
    Case("rollcall-javascript-contact", ("rollcall.unsafe_url", "doc.malformed"), ROLL),
    Case("rollcall-javascript-url", ("rollcall.unsafe_url", "doc.malformed"), ROLL),
    Case("rollcall-partner-holds-root", ("rollcall.partner_holds_keys",), ROLL),
    Case("rollcall-partner-removed-after-signing", ("sig.invalid",), ROLL),
    Case("rollcall-two-operators", ("rollcall.operator_count",), ROLL),
    # coalition and trust.lock
    Case("trust-lock-duplicate-key", ("json.duplicate_key",), "trust.lock"),
    Case("coalition-javascript-url", ("coalition.unsafe_url", "doc.malformed"), "coalition.json"),
    Case("coalition-genesis-pin-mismatch", (PIN,), "coalition.json"),
    Case("coalition-duplicate-member", ("coalition.duplicate_member",), "coalition.json"),
    Case("recognition-policy-issuer-id-not-a-string", ("doc.malformed",), f"{A}/recognition-policy.json"),
    # layout: folder names are path segments and URL segments
    Case("folder-bidi-override", ("layout.deceptive_text", "layout.unsafe_id"), "sovereigns/alpha\u202e"),
    Case("folder-bidi-isolate", ("layout.deceptive_text", "layout.unsafe_id"), "sovereigns/\u2067beta\u2069"),
    Case("folder-zero-width-space", ("layout.deceptive_text", "layout.unsafe_id"), "sovereigns/al\u200bpha"),
    Case("folder-cyrillic-confusable", ("layout.deceptive_text", "layout.unsafe_id"), "sovereigns/\u0430lpha"),
    Case("folder-greek-confusable", ("layout.deceptive_text", "layout.unsafe_id"), "sovereigns/\u03b2eta"),
    Case("folder-fullwidth", ("layout.deceptive_text", "layout.unsafe_id"), "sovereigns/\uff41lpha"),
    Case("folder-leading-dot", ("layout.unsafe_id",), "sovereigns/.alpha"),
    Case("folder-leading-dash", ("layout.unsafe_id",), "sovereigns/-alpha"),
    Case("folder-space", ("layout.unsafe_id",), "sovereigns/alpha beta"),
    Case("folder-percent-encoded-slash", ("layout.unsafe_id",), "sovereigns/alpha%2Fbeta"),
    Case("folder-html-markup", ("layout.unsafe_id",), "sovereigns/<img src=x onerror=alert(1)>"),
    Case("folder-too-long", ("layout.unsafe_id",), "sovereigns/" + "a" * 129),
    Case("folder-dot-dot-inside", ("layout.unsafe_id",), "sovereigns/alpha..beta"),
    Case("folder-terminal-escape", ("layout.deceptive_text", "layout.unsafe_id"), "sovereigns/evil\x1b[2J"),
    Case("unexpected-executable-file", ("layout.unexpected_file",), f"{A}/install.sh"),
    Case("file-directly-under-sovereigns", ("layout.unexpected_file",), "sovereigns/index.json"),
]


def verify(repo: Path) -> Verification:
    return verify_path(repo, at=NOW, workers=1)


def test_corpus_is_what_the_script_generates() -> None:
    """The committed files and make_corpus.py agree byte for byte (regenerate with the script)."""
    expected, committed = corpus_tree(), on_disk(corpus_dir())
    assert sorted(expected) == sorted(committed)
    assert [p for p in expected if expected[p] != committed[p]] == []


def test_every_attack_has_exactly_one_case() -> None:
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))
    assert sorted(names) == attack_names()


def test_baseline_verifies_with_no_finding(tmp_path: Path) -> None:
    result = verify(materialize(tmp_path / "repo"))
    assert [f.code for f in result.findings] == []
    assert len(result.sovereigns) == 2 and all(t.verified for s in result.sovereigns for t in s.treaties)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_attack_reports_exact_codes(case: Case, tmp_path: Path) -> None:
    result = verify(materialize(tmp_path / "repo", case.name))   # raising fails the test
    codes = {f.code for f in result.findings}
    assert "internal.check_failed" not in codes
    assert codes == set(case.codes)
    assert case.path in {f.path for f in result.findings if f.code == case.codes[0]}
    assert result.ok is not any(REGISTRY[c].severity.value == "error" for c in case.codes)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_attack_through_the_command_line(case: Case, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    repo = materialize(tmp_path / "repo", case.name)
    status = cli_main(["verify", str(repo), "--at", "2026-11-23T12:00:00Z", "--format", "json", "--jobs", "1"])
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert err == ""
    assert {f["code"] for f in report["findings"]} == set(case.codes)
    assert status == (1 if report["summary"]["error"] else 0)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_text_report_is_one_printable_line_per_finding(case: Case, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Paths and messages quote attacker-controlled names: the text report escapes control,
    bidi and line-separator characters, so no terminal escape runs and no line is forged."""
    repo = materialize(tmp_path / "repo", case.name)
    cli_main(["verify", str(repo), "--at", "2026-11-23T12:00:00Z", "--jobs", "1"])
    lines = capsys.readouterr().out.split("\n")
    assert lines[-1] == "" and all(line.isprintable() for line in lines)
    assert len(lines) - 2 == len(verify(repo).findings)


def test_signed_unknown_field_still_verifies_its_signature(tmp_path: Path) -> None:
    """The field was signed: the finding is the unknown field, and the NA key is the signer."""
    result = verify(materialize(tmp_path / "repo", "treaty-signed-unknown-field"))
    treaty = result.sovereign("alpha").treaties[0]
    assert treaty.signer == ALPHA.na.public and not treaty.verified


def test_forged_succession_adds_no_key(tmp_path: Path) -> None:
    result = verify(materialize(tmp_path / "repo", "succession-forged-then-used"))
    history = result.sovereign("alpha").key_history
    assert history.public_keys == (ALPHA.na.public,)
