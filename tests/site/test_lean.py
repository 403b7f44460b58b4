"""A build from slim models (publisher.site.lean, what `handshake build` does) gives exactly the
bytes of a build from the full verification: the demo, the hostile coalition (with errors
shown), and on forked page workers that read their sovereigns back from the model file."""
from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from publisher.site import lean, units
from publisher.site.build import PrivateMaterialRefused, Site, build_site
from publisher.source import WorktreeSource
from publisher.verify import verify_path
from tests.site.site_golden import DEMO_AT, REPO_ROOT, provenance
from tests.site.site_synth import ring_coalition, write_coalition


def _both(root: Path, *, allow_errors: bool = False, workers: int = 1) -> tuple[Site, Site]:
    full = verify_path(root, at=DEMO_AT, workers=1)
    prov = provenance(evaluated_at=DEMO_AT, allow_errors=allow_errors)
    expected = build_site(full, WorktreeSource(root), prov, workers=workers)
    models = lean.Models()
    verifier = lean.Verifier(lambda: verify_path(root, at=DEMO_AT, workers=1), models, lambda v: "digest")
    try:
        slim = verifier.verification()
        assert verifier.digest == "digest" and slim.findings == full.findings
        assert (slim.at, slim.coalition, slim.sovereigns) == (full.at, full.coalition, full.sovereigns)
        assert all(t.raw == {} for s in slim.sovereigns for t in s.treaties)
        got = build_site(slim, WorktreeSource(root), prov, workers=workers, models=models)
    finally:
        verifier.close()
        models.close()
    return expected, got


def _assert_same(a: Site, b: Site) -> None:
    assert sorted(a.files) == sorted(b.files)
    assert [p for p in a.files if a.files[p] != b.files[p]] == []
    assert (a.pages, a.manifest, a.notes) == (b.pages, b.manifest, b.notes)


def test_the_demo_from_slim_models_is_byte_identical() -> None:
    _assert_same(*_both(REPO_ROOT))


def test_the_hostile_site_from_slim_models_is_byte_identical(hostile_repo: Path) -> None:
    _assert_same(*_both(hostile_repo, allow_errors=True))


def test_forked_workers_read_their_models_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(units, "PARALLEL_THRESHOLD", 2)
    _assert_same(*_both(REPO_ROOT, workers=2))


def test_the_slim_pickle_empties_only_the_raw_mappings() -> None:
    full = verify_path(REPO_ROOT, at=DEMO_AT, workers=1)
    slim = pickle.loads(lean.slim_bytes(full))
    assert slim == full
    sovereign = next(s for s in full.sovereigns if s.treaties and s.genesis is not None)
    other = next(s for s in slim.sovereigns if s.id == sovereign.id)
    assert sovereign.treaties[0].raw and other.treaties[0].raw == {}
    assert other.genesis is not None and other.genesis.raw == {} and sovereign.genesis is not None
    assert other.genesis.digest == sovereign.genesis.digest


def test_a_verification_never_asked_for_its_models_writes_none() -> None:
    models = lean.Models()
    verifier = lean.Verifier(lambda: verify_path(REPO_ROOT, at=DEMO_AT, workers=1), models, lambda v: None)
    try:
        assert verifier.verification().ok and verifier.count > 0
        verifier.close()
        assert models.spans == {} and os.fstat(models.fd).st_size == 0
    finally:
        models.close()


def _stored_build(tmp_path: Path, *, drop_one: bool = False) -> tuple[Site, Site, list[object]]:
    """A build whose verifying child finds every model in the per-folder cache (a build after
    `verify`), against the build from the full verification; and what the model file holds."""
    from publisher.cache import Cache

    cache = Cache(tmp_path / "cache", b"k" * 32)
    full = verify_path(REPO_ROOT, at=DEMO_AT, workers=1, cache=cache)       # fills the cache, keeps a snapshot
    if drop_one:
        entries = sorted((tmp_path / "cache" / "folder").rglob("*"))
        next(p for p in entries if p.is_file()).unlink()
    prov = provenance(evaluated_at=DEMO_AT)
    expected = build_site(full, WorktreeSource(REPO_ROOT), prov)
    models = lean.Models()
    verifier = lean.Verifier(lambda: verify_path(REPO_ROOT, at=DEMO_AT, workers=1, cache=cache), models,
                             lambda v: None, cache)
    try:
        slim = verifier.verification()
        assert slim.sovereigns == full.sovereigns
        assert all(t.raw == {} for s in slim.sovereigns for t in s.treaties)
        held = [pickle.loads(os.pread(models.fd, size, offset)) for offset, size in models.spans.values()]
        got = build_site(slim, WorktreeSource(REPO_ROOT), prov, models=models)
    finally:
        verifier.close()
        models.close()
    return expected, got, held


def test_models_stored_per_folder_are_copied_and_give_the_same_site(tmp_path: Path) -> None:
    from publisher.verify.sovereign import SovereignResult

    expected, got, held = _stored_build(tmp_path)
    _assert_same(expected, got)
    assert held and all(isinstance(value, SovereignResult) for value in held)   # copied, not pickled again


def test_a_missing_folder_entry_falls_back_to_loading_the_models(tmp_path: Path) -> None:
    from publisher.model import Sovereign

    expected, got, held = _stored_build(tmp_path, drop_one=True)
    _assert_same(expected, got)
    assert held and all(isinstance(value, Sovereign) for value in held)


def _refused(root: Path, workers: int) -> list[tuple[str, str, str]]:
    """The leaks a slim build of `root` refuses to publish, as (path, pointer, code)."""
    models = lean.Models()
    verifier = lean.Verifier(lambda: verify_path(root, at=DEMO_AT, workers=1), models, lambda v: "digest")
    try:
        with pytest.raises(PrivateMaterialRefused) as refused:
            build_site(verifier.verification(), WorktreeSource(root),
                       provenance(evaluated_at=DEMO_AT, allow_errors=True), workers=workers, models=models)
    finally:
        verifier.close()
        models.close()
    return sorted((f.path, f.pointer, f.code) for f in refused.value.errors)


def test_a_secret_in_the_exports_is_refused_with_page_workers_as_on_one_core(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A secret in an active treaty's metadata is published in the coalition-wide exports, whose
    treaty texts come back from the page workers: the scan finds it in both exports, as on one
    core, and the build is refused (verification's own error is shown: --allow-errors)."""
    specs = ring_coalition(6, DEMO_AT)
    specs[2].treaties[0].metadata = {"api_token": "tok-0123456789abcdef"}
    root = write_coalition(tmp_path, specs, DEMO_AT)
    inline = _refused(root, workers=1)
    monkeypatch.setattr(units, "PARALLEL_THRESHOLD", 2)
    forked = _refused(root, workers=2)
    assert forked == inline
    exported = {path for path, _, _ in forked if path in ("recognition-graph.json", "connectome.json")}
    assert exported == {"recognition-graph.json", "connectome.json"}
    assert all(code == "redaction.secret_field" for _, _, code in forked)

