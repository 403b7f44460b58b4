"""`handshake show-payload` shows exactly the bytes `handshake sign` signs, and the role the
verifier requires."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from publisher.canonical import signed_bytes
from tests.authoring.conftest import Keys, Runner, at, ok, read

TREATY = "sovereigns/alpha/treaties/t-1.json"


@pytest.fixture
def with_treaty(two_sovereigns: Path, hs: Runner, keys: Keys) -> Path:
    ok(hs("treaty", "issue", "alpha", "beta", "--roles", "client", "--valid-for", "30d", "--treaty-id", "t-1",
          "--metadata", "note=Z\u00fcrich", "--na-key", keys.path("alpha-na"), "--at", at(1)))
    return two_sovereigns


@pytest.mark.parametrize("relative, kind, role", [
    (TREATY, "recognition-treaty", "network-authority"),
    ("sovereigns/alpha/genesis.signed.json", "genesis-block", "root"),
    ("sovereigns/alpha/roll-call.json", "roll-call", "network-authority"),
], ids=["treaty", "genesis", "roll-call"])
def test_raw_payload_is_exactly_the_signed_bytes(with_treaty: Path, hs: Runner, relative: str, kind: str,
                                                 role: str) -> None:
    document = read(with_treaty, relative)
    raw = subprocess.run([sys.executable, "-m", "publisher", "show-payload", str(with_treaty / relative), "--raw",
                          "--at", at(2)], capture_output=True, check=True)
    assert raw.stdout == signed_bytes(document, kind)
    result = ok(hs("show-payload", str(with_treaty / relative), "--format", "json", "--at", at(2), repo_arg=None))
    shown = json.loads(result.out)
    assert (shown["kind"], shown["role"]) == (kind, role)
    assert shown["payload"].encode() == signed_bytes(document, kind)
    assert shown["payload_sha256"] == hashlib.sha256(signed_bytes(document, kind)).hexdigest()
    assert [s["verifies_under"] is not None for s in shown["signatures"]] == [True]


def test_text_output_names_the_required_key_and_escapes_like_the_reference(with_treaty: Path, hs: Runner,
                                                                           keys: Keys) -> None:
    result = ok(hs("show-payload", str(with_treaty / TREATY), "--at", at(2), repo_arg=None))
    assert "network-authority key" in result.out and "NA key #1 (alpha-na)" in result.out
    assert '"note":"Z\\u00fcrich"' in result.out                     # ensure_ascii, as signed
    assert "#0 key_id 'alpha-na': verifies" in result.out


def test_sign_refuses_a_payload_other_than_the_reviewed_one(with_treaty: Path, hs: Runner, keys: Keys) -> None:
    ok(hs("cosigners", "add", "alpha", "--cosigner-key", keys.pub("board"), "--valid-from", at(0),
          "--root-key", keys.path("alpha-root"), "--at", at(1)))
    wrong = hs("sign", str(with_treaty / TREATY), "--key", keys.path("board"), "--expect-sha256", "0" * 64,
               "--at", at(2), repo_arg=None)
    assert wrong.code == 1 and "not the" in wrong.err
    digest = hashlib.sha256(signed_bytes(read(with_treaty, TREATY), "recognition-treaty")).hexdigest()
    ok(hs("sign", str(with_treaty / TREATY), "--key", keys.path("board"), "--expect-sha256", f"sha256:{digest}",
          "--at", at(2), repo_arg=None))
    after = read(with_treaty, TREATY)
    assert hashlib.sha256(signed_bytes(after, "recognition-treaty")).hexdigest() == digest
    assert len(after["signatures"]) == 2


def test_a_second_root_signature_on_genesis_is_refused_and_a_wrong_role_explained(with_treaty: Path, hs: Runner,
                                                                                  keys: Keys) -> None:
    genesis = str(with_treaty / "sovereigns/alpha/genesis.signed.json")
    again = hs("sign", genesis, "--key", keys.path("alpha-root"), "--at", at(2), repo_arg=None)
    assert again.code == 1 and "already carries a signature by root key" in again.err
    wrong = hs("sign", genesis, "--key", keys.path("alpha-na"), "--at", at(2), repo_arg=None)
    assert wrong.code == 1 and "pinned root key" in wrong.err


def test_files_outside_the_layout_are_not_signable(with_treaty: Path, hs: Runner, keys: Keys) -> None:
    result = hs("show-payload", str(with_treaty / "sovereigns/alpha/key-history.json"), "--at", at(2), repo_arg=None)
    assert result.code == 1 and "not a signed document of the layout" in result.err


def test_reported_findings_escape_control_and_bidi_characters_as_verify_does() -> None:
    """A refusal or pending signature quotes paths and messages taken from the repository: a
    folder named with a terminal escape must not clear the maintainer's screen."""
    from publisher.cli.authoring_args import format_finding
    from publisher.cli.cmd_verify import format_finding as verify_line
    from publisher.findings import finding

    hostile = finding("sovereigns/evil\x1b[2J/treaties/x.json", "/metadata/\u202ename",
                      "sig.missing", "needs the key of evil\x1b]0;owned\x07")
    line = format_finding(hostile)
    assert line == "  " + verify_line(hostile)
    assert line.isprintable() and "\x1b" not in line and "\u202e" not in line
    assert "evil\\u001b[2J" in line and "\\u202e" in line


def test_text_output_writes_document_strings_visibly(with_treaty: Path, hs: Runner) -> None:
    """show-payload is run on files under review: the issued_at it quotes (and any key label)
    must not reach the terminal as an escape sequence or a bidi control."""
    path = with_treaty / TREATY
    document = json.loads(path.read_text())
    document["issued_at"] = "2026\x1b]0;owned\x07\x1b[2J\u202e"
    path.write_text(json.dumps(document))
    result = hs("show-payload", str(path), "--at", at(2), repo_arg=None)
    header = result.out.split("\npayload:", 1)[0]
    assert "\x1b" not in header and "\x07" not in header and "\u202e" not in header
    assert "\\u001b]0;owned" in header


def test_refusals_and_summaries_are_written_visibly(capsys: pytest.CaptureFixture[str]) -> None:
    """A refusal or a plan's summary may quote a key label from a document (`sign`: 'already
    carries a signature by <label>'): printed the way verify prints findings."""
    import argparse

    from publisher.authoring import AuthoringError
    from publisher.authoring.writer import Outcome
    from publisher.cli.authoring_args import guarded, report

    def refuse(args: argparse.Namespace) -> int:
        raise AuthoringError("refused: already signed by evil\x1b]0;owned\x07\u202e")

    assert guarded(refuse)(argparse.Namespace(command="sign")) == 1
    outcome = Outcome(summary=("signed by evil\x1b[2J\u2066",), written=(), pending=(),
                      verification=type("V", (), {"summary": lambda self: {"error": 0, "warning": 0,
                                                                            "evaluated_at": "t"}})())
    report(outcome)  # type: ignore[arg-type]
    captured = capsys.readouterr()
    for text in (captured.out, captured.err):
        assert "\x1b" not in text and "\u202e" not in text and "\u2066" not in text
    assert "evil\\u001b]0;owned" in captured.err and "evil\\u001b[2J" in captured.out
