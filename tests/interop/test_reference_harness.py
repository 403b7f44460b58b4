"""The committed reference corpus is complete, well-formed, and still what the reference produces.

Runs under Handshake's own Python (3.11). The structural tests read only the committed files;
the last two run the reference itself through .venv-ref and fail, never skip, when it is
missing: a corpus nobody can regenerate is not evidence.
"""

from __future__ import annotations

import filecmp
import hashlib
import json
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
REPO_ROOT = HERE.parent.parent
REF_PYTHON = REPO_ROOT / ".venv-ref" / "bin" / "python"
TOOL = HERE / "reference_tool.py"
KINDS = {"genesis", "treaty", "feed", "key-history", "policy", "attestation", "trust-bundle"}
SOVEREIGN_FILES = ("keys/root.pub", "keys/na.pub", "genesis.signed.json", "sovereign.json", "key-history.json",
                   "recognition-treaties.json", "revocation-feed.json", "policy.json", "recognition-policy.json")


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    path = CORPUS / "expected.json"
    assert path.is_file(), f"{path} is missing: regenerate the corpus (see tests/interop/README.md)"
    return json.loads(path.read_text(encoding="utf-8"))


def _verdict_ok(verdict: Any) -> None:
    assert isinstance(verdict, dict)
    assert isinstance(verdict["accepted"], bool)
    assert isinstance(verdict["reason"], str) and verdict["reason"]
    assert isinstance(verdict["via"], str) and verdict["via"]
    assert verdict["accepted"] == (verdict["reason"] == "accepted")


def test_every_document_has_an_entry_and_every_entry_a_file(expected: dict[str, Any]) -> None:
    on_disk = {f"documents/{p.name}" for p in (CORPUS / "documents").iterdir()}
    entries = set(expected["documents"])
    assert on_disk, "documents/ is empty"
    assert on_disk - entries == set(), "documents without an expected verdict"
    assert {e for e in entries if e.startswith("documents/")} - on_disk == set(), "entries without a file"
    for path in entries:
        assert (CORPUS / path).is_file(), path


def test_repo_layout_is_complete(expected: dict[str, Any]) -> None:
    sovereigns = sorted(p.name for p in (CORPUS / "repo" / "sovereigns").iterdir())
    assert len(sovereigns) >= 2
    for name in sovereigns:
        base = CORPUS / "repo" / "sovereigns" / name
        for rel in SOVEREIGN_FILES:
            assert (base / rel).is_file(), f"{name}/{rel}"
        treaties = sorted((base / "treaties").glob("*.json"))
        assert treaties, f"{name} has no treaties"
        signed = [f"repo/sovereigns/{name}/{rel}" for rel in
                  ("genesis.signed.json", "key-history.json", "revocation-feed.json", "policy.json")]
        signed += [f"repo/sovereigns/{name}/treaties/{t.name}" for t in treaties]
        signed.append(f"repo/served/trust-bundle-{name}.json")
        for path in signed:
            assert path in expected["documents"], f"signed document without a verdict: {path}"


def test_entries_are_well_formed(expected: dict[str, Any]) -> None:
    for path, entry in expected["documents"].items():
        assert entry["kind"] in KINDS, path
        assert entry["description"], path
        _verdict_ok(entry["strict"])
        if entry["model"] is not None:
            _verdict_ok(entry["model"])
        if "embedded_genesis" in entry:
            _verdict_ok(entry["embedded_genesis"])
        datetime.fromisoformat(entry["at"].replace("Z", "+00:00"))
        assert entry["argv"][:3] == ["verify", entry["kind"], path], path
        if entry["key_history"]:
            assert (CORPUS / entry["key_history"]).is_file(), path
        assert entry["keys"] or entry["root"], f"{path}: a verdict needs keys or a pinned root"


def test_both_outcomes_are_covered_per_kind(expected: dict[str, Any]) -> None:
    """A kind whose cases all pass (or all fail) would not test a verifier at all."""
    seen: dict[str, set[bool]] = {}
    for entry in expected["documents"].values():
        seen.setdefault(entry["kind"], set()).add(entry["strict"]["accepted"])
    assert seen == {kind: {True, False} for kind in KINDS}


def test_no_private_key_material_in_the_corpus(expected: dict[str, Any]) -> None:
    assert not list(CORPUS.rglob("*.key"))
    for path in CORPUS.rglob("*"):
        if path.is_file():
            assert "Private Key" not in path.read_text(encoding="utf-8"), path


def test_bundle_hash_sidecar_is_sha256_of_compact_sorted_json() -> None:
    """RFC-003 bundle hash, recomputed with the standard library only (FORMATS §10)."""
    for sidecar in sorted((CORPUS / "repo" / "served").glob("trust-bundle-*.export.json")):
        bundle = json.loads(sidecar.with_name(sidecar.name.replace(".export.json", ".json")).read_bytes())
        canonical = json.dumps(bundle, sort_keys=True, separators=(",", ":")).encode("utf-8")
        claimed = json.loads(sidecar.read_bytes())["bundle_hash"]
        assert claimed == "sha256:" + hashlib.sha256(canonical).hexdigest(), sidecar.name


def _reference_python() -> Path:
    if not REF_PYTHON.is_file():
        pytest.fail(f"{REF_PYTHON} is missing: run scripts/setup-reference.sh (needs Python 3.12 and PyPI)")
    return REF_PYTHON


def test_reference_still_gives_every_expected_verdict() -> None:
    run = subprocess.run([str(_reference_python()), str(TOOL), "check-corpus", str(CORPUS)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]


def test_make_corpus_regenerates_the_committed_bytes(tmp_path: Path) -> None:
    run = subprocess.run([str(_reference_python()), str(TOOL), "make-corpus", str(tmp_path)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-4000:]
    differences = _tree_differences(CORPUS, tmp_path)
    assert differences == [], f"regenerated corpus differs from the committed one: {differences[:20]}"


def _tree_differences(a: Path, b: Path) -> list[str]:
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    out = [f"only committed: {p}" for p in sorted(files_a - files_b)]
    out += [f"only regenerated: {p}" for p in sorted(files_b - files_a)]
    out += [f"differs: {p}" for p in sorted(files_a & files_b) if not filecmp.cmp(a / p, b / p, shallow=False)]
    return out
