"""`handshake new-sovereign`: every file, all verifying at once; refusals."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from publisher import crypto
from publisher.canonical import content_digest, signed_bytes
from publisher.keyfile import parse_public_key_file
from publisher.source import WorktreeSource
from publisher.verify import verify_repository
from tests.authoring.conftest import START, Keys, Runner, at, ok, read


def test_new_sovereign_writes_a_folder_that_verifies(hs: Runner, keys: Keys, repo: Path) -> None:
    result = ok(hs("new-sovereign", "alpha", "--root-key", keys.path("alpha-root"), "--na-key",
                   keys.path("alpha-na"), "--display-name", "Alpha Commons", "--endpoint", "https://na.alpha.example",
                   "--contact", "mailto:ops@alpha.example", "--anchor", "seed-1:anchor.alpha.example:443",
                   "--at", at()))
    base = repo / "sovereigns" / "alpha"
    assert sorted(p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file()) == [
        "genesis.signed.json", "key-history.json", "keys/na.pub", "keys/root.pub", "roll-call.json", "sovereign.json"]
    genesis = read(repo, "sovereigns/alpha/genesis.signed.json")
    root, na = keys.public["alpha-root"], keys.public["alpha-na"]
    assert genesis["root_public_key"] == root and genesis["network_authority"]["public_key"] == na
    assert genesis["network_authority"]["valid_from"] == "2026-11-01T10:00:00Z"
    assert genesis["network_authority"]["valid_to"] == "2027-01-30T10:00:00Z"       # +90 days, as the CLI
    assert genesis["bootstrap_anchors"] == [{"id": "seed-1", "endpoint": "anchor.alpha.example:443"}]
    assert genesis["policy_manifest"] == {"hash": "sha256:placeholder", "url": None}
    [sig] = genesis["signatures"]
    assert crypto.verify(root, signed_bytes(genesis, "genesis-block"), crypto.decode_signature(sig["sig"]) or b"")
    history = read(repo, "sovereigns/alpha/key-history.json")
    assert history["genesis"] == genesis and history["successions"] == []
    assert [k["public_key"] for k in history["keys"]] == [na] and history["keys"][0]["current"] is True
    roll_call = read(repo, "sovereigns/alpha/roll-call.json")
    assert roll_call["parties"] == [{"name": "Alpha Commons", "roles": ["operator"],
                                     "holds_keys": ["root", "network-authority", "operator"],
                                     "contact": "mailto:ops@alpha.example"}]
    identity = read(repo, "sovereigns/alpha/sovereign.json")
    assert identity["endpoints"] == ["https://na.alpha.example"] and identity["network_authority_public_key"] == na
    assert parse_public_key_file((base / "keys" / "root.pub").read_bytes()) == root
    verification = verify_repository(WorktreeSource(repo), at=START)
    assert [f for f in verification.findings if f.severity.value != "info"] == []
    assert "0 error(s)" in result.out


def test_the_root_is_pinned_and_the_member_listed_when_the_repository_has_those_files(
        hs: Runner, keys: Keys, repo: Path) -> None:
    (repo / "trust.lock").write_text(json.dumps({"lock_version": 1, "sovereigns": {}}))
    (repo / "coalition.json").write_text(json.dumps({"name": "Test", "operator": {"name": "Sec"}, "members": []}))
    ok(hs("new-sovereign", "alpha", "--root-key", keys.path("alpha-root"), "--na-key", keys.path("alpha-na"),
          "--at", at()))
    lock = read(repo, "trust.lock")
    assert lock["sovereigns"]["alpha"]["root_public_key"] == keys.public["alpha-root"]
    genesis = read(repo, "sovereigns/alpha/genesis.signed.json")
    assert read(repo, "coalition.json")["members"] == [{"sovereign_id": "alpha",
                                                        "genesis_sha256": content_digest(genesis)}]
    findings = verify_repository(WorktreeSource(repo), at=START).findings
    assert [f.code for f in findings if f.severity.value != "info"] == []


@pytest.mark.parametrize("name, content", [
    ("trust.lock", {"lock_version": 1, "sovereigns": ["x"]}),
    ("trust.lock", {"lock_version": 1, "sovereigns": {"x": "not a pin"}}),
    ("coalition.json", {"name": "Test", "operator": {"name": "Sec"}, "members": "everyone"}),
    ("coalition.json", {"name": "Test", "operator": {"name": "Sec"}, "members": ["beta"]}),
], ids=["lock-pins-a-list", "lock-pin-a-string", "members-a-string", "member-a-string"])
def test_a_root_file_that_does_not_match_its_schema_is_refused_not_raised(
        hs: Runner, keys: Keys, repo: Path, name: str, content: object) -> None:
    """new-sovereign edits trust.lock and coalition.json in place: one of the wrong shape is a
    refusal naming it (it raised AttributeError or ValueError), and nothing is written."""
    (repo / name).write_text(json.dumps(content))
    result = hs("new-sovereign", "alpha", "--root-key", keys.path("alpha-root"), "--na-key", keys.path("alpha-na"),
                "--at", at())
    assert result.code == 1 and f"{name} does not match its schema" in result.err, result.err
    assert "Traceback" not in result.err
    assert json.loads((repo / name).read_text()) == content
    assert not (repo / "sovereigns" / "alpha").exists()


@pytest.mark.parametrize("sovereign_id, root, na, message", [
    ("../escape", "alpha-root", "alpha-na", "not a safe sovereign id"),
    ("has space", "alpha-root", "alpha-na", "not a safe sovereign id"),
    ("alpha", "alpha-na", "alpha-na", "same key"),
    ("existing", "alpha-root", "alpha-na", "already exists"),
], ids=["path-escape", "space", "root-equals-na", "folder-exists"])
def test_new_sovereign_refusals(hs: Runner, keys: Keys, repo: Path, sovereign_id: str, root: str, na: str,
                                message: str) -> None:
    (repo / "sovereigns" / "existing").mkdir(parents=True)
    result = hs("new-sovereign", sovereign_id, "--root-key", keys.path(root), "--na-key", keys.path(na), "--at", at())
    assert result.code == 1 and message in result.err
    assert not (repo / "sovereigns" / "alpha").exists()


def test_a_deceptive_id_is_refused(hs: Runner, keys: Keys, repo: Path) -> None:
    result = hs("new-sovereign", "\u0430lpha", "--root-key", keys.path("alpha-root"), "--na-key",
                keys.path("alpha-na"), "--at", at())
    assert result.code == 1 and "refused" in result.err


def test_new_sovereign_run_from_sovereigns_writes_into_the_repository(hs: Runner, keys: Keys, repo: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The newcomer's slip: `cd sovereigns` then new-sovereign. Without --repo the command
    works on the repository above, never on a nested sovereigns/sovereigns/."""
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    ok(hs("new-sovereign", "alpha", "--root-key", keys.path("alpha-root"), "--na-key", keys.path("alpha-na"),
          "--at", at()))
    monkeypatch.chdir(repo / "sovereigns")
    result = ok(hs("new-sovereign", "beta", "--root-key", keys.path("beta-root"), "--na-key", keys.path("beta-na"),
                   "--at", at(), repo_arg=None))
    assert (repo / "sovereigns" / "beta" / "genesis.signed.json").is_file()
    assert not (repo / "sovereigns" / "sovereigns").exists()
    assert "using the repository at" in result.err
