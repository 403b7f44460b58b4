"""Round trip: documents Handshake's commands sign pass genesis-mesh 1.8.1's own verifiers
(strict profile, and the lenient model profile where the reference has one), and the bytes
Handshake shows a signer are the bytes the reference checks."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from publisher.cli import main
from tests.authoring import reference
from tests.authoring.conftest import Keys

T0, T1 = "2026-11-01T09:00:00.250000Z", "2026-11-02T10:00:00.125000Z"
T2, T2B = "2026-11-03T08:00:00Z", "2026-11-03T08:10:00.5Z"
T3 = "2026-11-03T09:00:00Z"                        # within the outgoing key's vouching horizon


def handshake(*argv: str) -> None:
    assert main(list(argv)) == 0, argv


@pytest.fixture(scope="module")
def signed_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Keys]:
    """alpha and beta authored with Handshake only: treaties (one co-signed, one suspended),
    a feed, an NA key rotation and a renewal under the new key."""
    base = tmp_path_factory.mktemp("roundtrip")
    repo = base / "repo"
    repo.mkdir()
    (base / "keys").mkdir()
    keys = Keys(base / "keys")
    for index, name in enumerate(("alpha-root", "alpha-na", "beta-root", "beta-na", "alpha-na2", "board")):
        keys.make(name, 40 + index, role="root" if name.endswith("root") else "na")
    r = ["--repo", str(repo)]
    handshake("new-sovereign", "alpha", "--root-key", keys.path("alpha-root"), "--na-key", keys.path("alpha-na"),
              "--endpoint", "https://na.alpha.example", "--at", T0, *r)
    handshake("new-sovereign", "beta", "--root-key", keys.path("beta-root"), "--na-key", keys.path("beta-na"),
              "--at", T0, *r)
    for tid, roles in (("t-1", "client"), ("t-3", "bridge"), ("t-4", "service:data")):
        handshake("treaty", "issue", "alpha", "beta", "--roles", roles, "--valid-for", "90d", "--treaty-id", tid,
                  "--claim", "purpose=Z\u00fcrich \u2713", "--na-key", keys.path("alpha-na"), "--at", T1, *r)
    handshake("treaty", "issue", "beta", "alpha", "--roles", "operator", "--valid-for", "30d", "--treaty-id", "b-1",
              "--na-key", keys.path("beta-na"), "--at", T1, *r)
    handshake("treaty", "suspend", "t-3", "--na-key", keys.path("alpha-na"), "--at", T1.replace("10:", "11:"), *r)
    handshake("cosigners", "add", "alpha", "--cosigner-key", keys.pub("board"), "--valid-from", T0,
              "--root-key", keys.path("alpha-root"), "--at", T1, *r)
    handshake("sign", str(repo / "sovereigns/alpha/treaties/t-4.json"), "--key", keys.path("board"), "--at", T1, *r)
    handshake("feed", "revoke", "att-2", "att-1", "--reason", "member_departed", "--na-key", keys.path("alpha-na"),
              "--at", T1, *r)
    handshake("feed", "revoke", "att-0", "--reason", "key_compromise", "--na-key", keys.path("beta-na"),
              "--at", T1, *r)
    handshake("na", "rotate", "--root-key", keys.path("alpha-root"), "--new-na-key", keys.path("alpha-na2"),
              "--na-key", keys.path("alpha-na"), "--at", T2, *r)
    handshake("treaty", "renew", "t-1", "--new-treaty-id", "t-2", "--na-key", keys.path("alpha-na2"), "--at", T2B, *r)
    return repo, keys


def alpha(repo: Path, relative: str) -> Path:
    return repo / "sovereigns" / "alpha" / relative


def test_genesis_and_key_history_verify_under_the_pinned_root(signed_repo: tuple[Path, Keys]) -> None:
    repo, keys = signed_repo
    root = keys.pub("alpha-root")
    genesis = reference.verify("genesis", alpha(repo, "genesis.signed.json"), root=root)
    assert genesis["strict"]["reason"] == "accepted" and genesis["model"]["accepted"], genesis
    history = reference.verify("key-history", alpha(repo, "key-history.json"), root=root)
    assert history["strict"]["accepted"], history
    assert [k["public_key"] for k in history["strict"]["keys"]] == [keys.public["alpha-na"], keys.public["alpha-na2"]]
    served = json.loads(alpha(repo, "key-history.json").read_text())["keys"]      # our unsigned hints
    assert [{k: v for k, v in hint.items() if k != "current"} for hint in served] == history["strict"]["keys"]


@pytest.mark.parametrize("treaty_id, model_reason", [
    ("t-1", "accepted"),        # NA key 1, before the succession (its row is revoked renewed_by:t-2)
    ("t-2", "accepted"),        # NA key 2, after it took effect
    ("t-3", "bad_status"),      # signed status suspended: strict checks the signature only (README surprise 1)
    ("t-4", "accepted"),        # NA key + a co-signer: the extra signature is harmless to the reference
])
def test_treaties_verify_against_the_served_key_history(signed_repo: tuple[Path, Keys], treaty_id: str,
                                                        model_reason: str) -> None:
    repo, keys = signed_repo
    verdict = reference.verify("treaty", alpha(repo, f"treaties/{treaty_id}.json"), root=keys.pub("alpha-root"),
                               key_history=alpha(repo, "key-history.json"), at=T3)
    assert verdict["strict"]["reason"] == "accepted", verdict
    assert verdict["model"]["reason"] == model_reason, verdict


def test_feeds_verify_and_the_other_sovereigns_treaty_too(signed_repo: tuple[Path, Keys]) -> None:
    repo, keys = signed_repo
    feed = reference.verify("feed", alpha(repo, "revocation-feed.json"), root=keys.pub("alpha-root"),
                            key_history=alpha(repo, "key-history.json"), at=T3)
    assert feed["strict"]["reason"] == "accepted" and feed["model"]["reason"] == "accepted", feed
    beta = repo / "sovereigns" / "beta"
    for kind, path in (("feed", beta / "revocation-feed.json"), ("treaty", beta / "treaties" / "b-1.json")):
        verdict = reference.verify(kind, path, keys=(keys.public["beta-na"],), at=T3)
        assert verdict["strict"]["reason"] == "accepted" and verdict["model"]["reason"] == "accepted", verdict


def test_a_treaty_signed_by_the_wrong_key_is_refused_by_both(signed_repo: tuple[Path, Keys]) -> None:
    """Control: the same reference call refuses a Handshake treaty under another sovereign's key."""
    repo, keys = signed_repo
    verdict = reference.verify("treaty", alpha(repo, "treaties/t-2.json"), keys=(keys.public["beta-na"],), at=T3)
    assert verdict["strict"]["reason"] == "invalid_signature", verdict


@pytest.mark.parametrize("kind, relative", [
    ("treaty", "treaties/t-4.json"), ("feed", "revocation-feed.json"), ("genesis", "genesis.signed.json"),
])
def test_show_payload_prints_the_bytes_the_reference_checks(signed_repo: tuple[Path, Keys], kind: str,
                                                            relative: str) -> None:
    repo, _ = signed_repo
    shown = subprocess.run([sys.executable, "-m", "publisher", "show-payload", str(alpha(repo, relative)), "--raw",
                            "--at", T3], capture_output=True, check=True)
    assert shown.stdout.decode("ascii") == reference.signed_bytes(kind, alpha(repo, relative))
