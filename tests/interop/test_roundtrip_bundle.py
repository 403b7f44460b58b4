"""Trust bundles both ways: `handshake bundle import` judges the reference's bundles exactly as
`validate_trust_bundle` does (and checks the embedded genesis against the pinned root), and
`handshake bundle export` writes bundles the reference validates, with the same bundle hash."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from publisher.authoring.bundles import bundle_hash, summarize, validate_bundle
from publisher.cli import main
from tests.authoring import reference
from tests.interop.test_roundtrip_reference_signs import AT, CORPUS, CORPUS_NAS as SERVED, import_corpus

EXPECTED = json.loads((reference.CORPUS / "expected.json").read_text())["documents"]
BUNDLES = sorted(path for path, entry in EXPECTED.items() if entry["kind"] == "trust-bundle")


def load(relative: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((reference.CORPUS / relative).read_text())
    return value


@pytest.mark.parametrize("relative", BUNDLES)
def test_validation_matches_the_reference_case_by_case(relative: str) -> None:
    bundle, strict = load(relative), EXPECTED[relative]["strict"]
    errors, warnings = validate_bundle(bundle)
    assert [m for _, m in errors] == strict["errors"]
    assert [m for _, m in warnings] == strict["warnings"]
    assert bundle_hash(bundle) == strict["bundle_hash"]


@pytest.mark.parametrize("sovereign_id", SERVED)
def test_summary_and_hash_match_the_reference_export_sidecar(sovereign_id: str) -> None:
    sidecar = load(f"repo/served/trust-bundle-{sovereign_id}.export.json")
    bundle = load(f"repo/served/trust-bundle-{sovereign_id}.json")
    assert summarize(bundle) == sidecar["summary"]
    assert bundle_hash(bundle) == sidecar["bundle_hash"]


@pytest.fixture(scope="module")
def imported_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return import_corpus(tmp_path_factory.mktemp("bundles"))


def test_importing_a_reference_bundle_records_its_reference_hash(imported_repo: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "trust-bundle-BETA-NA.json"
    shutil.copy(reference.CORPUS / "repo/served/trust-bundle-BETA-NA.json", bundle)
    assert main(["bundle", "import", str(bundle), "--repo", str(imported_repo), "--at", AT]) == 0
    sidecar = load("repo/served/trust-bundle-BETA-NA.export.json")
    [receipt_path] = (imported_repo / "imports" / "BETA-NA").glob("*.receipt.json")
    receipt = json.loads(receipt_path.read_text())
    assert receipt["bundle_hash"] == sidecar["bundle_hash"] and receipt["summary"] == sidecar["summary"]
    assert receipt["validation"] == sidecar["validation"] and receipt["trust_granted"] is False
    assert receipt["embedded_genesis"]["status"] == "verified"


@pytest.mark.parametrize("case", ["trust-bundle-embedded-genesis-tampered", "trust-bundle-unsigned-genesis"])
def test_a_bundle_the_reference_passes_but_whose_genesis_fails_the_pinned_root_is_refused(
        imported_repo: Path, tmp_path: Path, case: str) -> None:
    assert EXPECTED[f"documents/{case}.json"]["strict"]["errors"] == []          # the reference passes it
    bundle = tmp_path / f"{case}.json"
    shutil.copy(reference.CORPUS / f"documents/{case}.json", bundle)
    assert main(["bundle", "import", str(bundle), "--repo", str(imported_repo), "--at", AT]) == 1
    assert not list((imported_repo / "imports").glob(f"*/{bundle_hash(load(f'documents/{case}.json'))[7:]}*"))


@pytest.mark.parametrize("sovereign_id", SERVED)
def test_exported_bundles_pass_the_reference_with_the_same_hash(imported_repo: Path, tmp_path: Path,
                                                                sovereign_id: str,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"{sovereign_id}.bundle.json"
    capsys.readouterr()
    assert main(["bundle", "export", sovereign_id, "--out", str(out), "--repo", str(imported_repo), "--at", AT]) == 0
    printed = capsys.readouterr().out
    verdict = reference.verify("trust-bundle", out, root=str(CORPUS / "sovereigns" / sovereign_id / "keys/root.pub"))
    assert verdict["strict"]["errors"] == [] and verdict["strict"]["warnings"] == [], verdict
    assert verdict["embedded_genesis"]["reason"] == "accepted", verdict
    assert f"bundle_hash: {verdict['strict']['bundle_hash']}" in printed
    assert verdict["strict"]["bundle_hash"] == bundle_hash(json.loads(out.read_text()))
