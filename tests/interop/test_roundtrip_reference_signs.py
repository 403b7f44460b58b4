"""Round trip the other way: what genesis-mesh 1.8.1 signs and serves passes `handshake verify`
after `handshake import-na`; Handshake then keeps signing for those sovereigns with their own
keys, and the reference accepts the result. Key files cross both ways."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from publisher.authoring.keys import write_keypair
from publisher.cli import main
from publisher.exports.connectome import connectome_view, export_sovereign_graph
from publisher.source import WorktreeSource
from publisher.timestamps import parse
from publisher.verify import verify_path, verify_repository
from tests.authoring import reference

CORPUS = reference.CORPUS / "repo"
AT = "2026-01-10T12:00:00Z"                       # the corpus's default evaluation time
LATER = "2026-01-10T13:00:00Z"
# endpoint saved as a file -> where the corpus keeps the NA's served bytes
ENDPOINTS = {"genesis": "served/{id}/genesis.json", "sovereign.json": "sovereigns/{id}/sovereign.json",
             "na/key-history": "sovereigns/{id}/key-history.json",
             "recognition-treaties": "sovereigns/{id}/recognition-treaties.json",
             "sovereign-revocation-feed": "sovereigns/{id}/revocation-feed.json",
             "policy": "sovereigns/{id}/policy.json", "recognition-policy": "sovereigns/{id}/recognition-policy.json"}


def handshake(*argv: str) -> None:
    assert main(list(argv)) == 0, argv


def saved_endpoints(sovereign_id: str, folder: Path) -> Path:
    for endpoint, source in ENDPOINTS.items():
        target = folder / sovereign_id / endpoint
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(CORPUS / source.format(id=sovereign_id), target)
    # GET /recognition-treaties/<id> for every row, superseded re-issue copies included
    shutil.copytree(CORPUS / "served" / sovereign_id / "treaty-rows", folder / sovereign_id / "treaty-rows")
    return folder / sovereign_id


CORPUS_NAS = ("ALPHA-NA", "BETA-NA", "GAMMA-NA")


def import_corpus(base: Path) -> Path:
    """base/repo holding ALPHA-NA, BETA-NA and GAMMA-NA, imported (`handshake import-na`) at AT
    from the reference's served bytes, saved under base/saved."""
    repo = base / "repo"
    (repo / "sovereigns").mkdir(parents=True)
    for sid in CORPUS_NAS:
        handshake("import-na", str(saved_endpoints(sid, base / "saved")), "--root-key",
                  str(CORPUS / "sovereigns" / sid / "keys" / "root.pub"), "--repo", str(repo), "--at", AT)
    return repo


def errors(repo: Path, at: str) -> list[str]:
    found = verify_repository(WorktreeSource(repo), at=parse(at) or parse(AT)).findings  # type: ignore[arg-type]
    return [f"{f.code} {f.path}{f.pointer}" for f in found if f.severity.value == "error"]


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """ALPHA-NA, BETA-NA and GAMMA-NA imported from the reference's served bytes; the corpus's
    fixed-seed private keys written to a folder outside the repository."""
    base = tmp_path_factory.mktemp("reference")
    repo, keys = import_corpus(base), base / "keys"
    for name, letter in (("alpha-na2", "g"), ("beta-na", "d"), ("beta-root", "c")):
        write_keypair(keys / name, role="root" if "root" in name else "na", key_id=name, repo=repo,
                      seed=reference.corpus_seed(letter))
    return repo, keys


def test_reference_documents_pass_handshake_verify_after_import(imported: tuple[Path, Path]) -> None:
    repo, _ = imported
    assert errors(repo, AT) == []
    # past the outgoing key's vouching horizon: the key-1 copies the NA re-issued are superseded
    assert errors(repo, "2026-01-12T12:00:00Z") == []
    alpha = repo / "sovereigns" / "ALPHA-NA"
    assert (alpha / "key-history.json").read_bytes() == (CORPUS / "sovereigns/ALPHA-NA/key-history.json").read_bytes()
    assert len(list((alpha / "treaties").glob("*.json"))) == 7          # 5 listed + 2 superseded copies


def test_superseded_copies_are_not_graph_edges(imported: tuple[Path, Path]) -> None:
    """genesis-mesh 1.8 lists only the newest copy of a re-issue lineage in /recognition-graph:
    ALPHA's two key-1 copies its NA re-issued under key 2 are neither edges nor revoked material.
    (Runs before the tests that add documents to the repository.)"""
    repo, _ = imported
    verification = verify_path(repo, at=parse(AT))  # type: ignore[arg-type]
    ours = export_sovereign_graph(verification, "ALPHA-NA")
    served = json.loads((CORPUS / "served" / "ALPHA-NA" / "recognition-graph.json").read_bytes())
    assert sorted(e["treaty_id"] for e in ours["recognition_edges"]) == sorted(
        e["treaty_id"] for e in served["recognition_edges"])
    assert sorted(m["id"] for m in ours["revoked_trust_material"] if m["type"] == "recognition_treaty") == sorted(
        m["id"] for m in served["revoked_trust_material"] if m["type"] == "recognition_treaty")
    assert connectome_view(ours)["summary"]["revoked_edge_count"] == 3


def test_handshake_signs_for_a_reference_sovereign_and_the_reference_accepts(imported: tuple[Path, Path]) -> None:
    repo, keys = imported
    handshake("treaty", "issue", "ALPHA-NA", "GAMMA-NA", "--roles", "client", "--valid-for", "30d",
              "--treaty-id", "hs-alpha-gamma", "--na-key", str(keys / "alpha-na2.key"), "--repo", str(repo),
              "--at", LATER)
    alpha = repo / "sovereigns" / "ALPHA-NA"
    treaty = alpha / "treaties" / "hs-alpha-gamma.json"
    gamma_na = json.loads((CORPUS / "sovereigns/GAMMA-NA/genesis.signed.json").read_text())["network_authority"]
    assert json.loads(treaty.read_text())["subject_public_keys"] == [gamma_na["public_key"]]
    verdict = reference.verify("treaty", treaty, root=str(CORPUS / "sovereigns/ALPHA-NA/keys/root.pub"),
                               key_history=alpha / "key-history.json", at=LATER)
    assert verdict["strict"]["reason"] == "accepted" and verdict["model"]["reason"] == "accepted", verdict


def test_the_feed_continues_the_reference_sequence_and_verifies(imported: tuple[Path, Path]) -> None:
    repo, keys = imported
    feed = repo / "sovereigns" / "BETA-NA" / "revocation-feed.json"
    before = json.loads(feed.read_text())
    handshake("feed", "revoke", "hs-attestation-1", "--reason", "member_departed", "--na-key",
              str(keys / "beta-na.key"), "--repo", str(repo), "--at", LATER)
    after = json.loads(feed.read_text())
    assert after["sequence"] == before["sequence"] + 1
    assert set(after["revoked_attestation_ids"]) == set(before["revoked_attestation_ids"]) | {"hs-attestation-1"}
    beta_na = json.loads((CORPUS / "sovereigns/BETA-NA/genesis.signed.json").read_text())["network_authority"]
    verdict = reference.verify("feed", feed, keys=(beta_na["public_key"],), at=LATER)
    assert verdict["strict"]["reason"] == "accepted" and verdict["model"]["reason"] == "accepted", verdict
    assert errors(repo, LATER) == []


def test_a_handshake_rotation_of_a_reference_na_verifies_in_the_reference(imported: tuple[Path, Path],
                                                                          tmp_path: Path) -> None:
    repo, keys = imported
    write_keypair(tmp_path / "beta-na-2", role="na", key_id="na-beta-2", repo=repo, seed=bytes(range(200, 232)))
    handshake("na", "rotate", "--root-key", str(keys / "beta-root.key"), "--new-na-key",
              str(tmp_path / "beta-na-2.key"), "--na-key", str(keys / "beta-na.key"), "--repo", str(repo),
              "--at", "2026-01-10T14:00:00Z")
    history = repo / "sovereigns" / "BETA-NA" / "key-history.json"
    verdict = reference.verify("key-history", history, root=str(CORPUS / "sovereigns/BETA-NA/keys/root.pub"))
    assert verdict["strict"]["accepted"], verdict
    assert json.loads(history.read_text())["successions"][0]["previous_key_id"] == "na-beta-1"


def test_key_files_cross_both_ways(tmp_path: Path) -> None:
    """Reference keygen -> Handshake signs a genesis; Handshake keygen -> the reference CLI signs
    a genesis that Handshake imports and verifies."""
    ref_keys, repo = tmp_path / "ref-keys", tmp_path / "repo"
    ref_keys.mkdir()
    repo.mkdir()
    reference.cli("keygen", "root", "--output", str(ref_keys / "root"), cwd=tmp_path)
    reference.cli("keygen", "network-authority", "--output", str(ref_keys / "na"), cwd=tmp_path)
    handshake("new-sovereign", "REF-KEYS", "--root-key", str(ref_keys / "root.key"), "--na-key",
              str(ref_keys / "na.key"), "--repo", str(repo), "--at", AT)
    genesis = repo / "sovereigns" / "REF-KEYS" / "genesis.signed.json"
    reference.cli("genesis", "verify", "--genesis", str(genesis), cwd=tmp_path)
    verdict = reference.verify("genesis", genesis, root=str(ref_keys / "root.pub"))
    assert verdict["strict"]["reason"] == "accepted", verdict

    hs_keys, saved = tmp_path / "hs-keys", tmp_path / "saved"
    saved.mkdir()
    for name, role in (("root", "root"), ("na", "na")):
        assert main(["keygen", "--role", role, "--out", str(hs_keys / name), "--key-id", f"hs-{name}"]) == 0
    reference.cli("genesis", "create", "--network-name", "HS-KEYS", "--root-key", str(hs_keys / "root.pub"),
                  "--na-key", str(hs_keys / "na.pub"), "--output", str(tmp_path / "g.json"), cwd=tmp_path)
    reference.cli("genesis", "sign", "--genesis", str(tmp_path / "g.json"), "--root-private-key",
                  str(hs_keys / "root.key"), "--key-id", "hs-root", "--output", str(saved / "genesis"), cwd=tmp_path)
    signed = json.loads((saved / "genesis").read_text())
    (saved / "sovereign.json").write_text(json.dumps({"sovereign_id": "HS-KEYS", "network_name": "HS-KEYS",
                                                      "root_public_key": signed["root_public_key"]}))
    handshake("import-na", str(saved), "--root-key", str(hs_keys / "root.pub"), "--repo", str(repo), "--at", AT)
    assert signed["root_public_key"] == (hs_keys / "root.pub").read_text().splitlines()[-1]
    assert errors(repo, AT) == []

