"""Fixtures for the cache and fast-path tests: an isolated cache home, a tiny synthetic
coalition built by bench/ (real signatures, real git history), and a copy of the demo."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


@pytest.fixture(autouse=True)
def isolated_cache_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own $XDG_CACHE_HOME (the cache secret lives there)."""
    home = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.delenv("HANDSHAKE_CACHE_DIR", raising=False)
    monkeypatch.delenv("HANDSHAKE_NO_CACHE", raising=False)
    return home


@pytest.fixture(scope="session")
def synthetic_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 12-sovereign coalition from bench/corpus.py ('tiny' scale), generated once."""
    from bench import corpus, synth

    generated = corpus.generate(tmp_path_factory.mktemp("synthetic") / "corpus", synth.SCALES["tiny"], 1)
    assert (generated.repo / "sovereigns").is_dir(), "bench/corpus.py did not write sovereigns/"
    return generated.repo


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    """The embedded demo coalition, copied, with its own `.handshake-cache/`."""
    for name in ("sovereigns", "coalition.json", "trust.lock"):
        if not (REPO_ROOT / name).exists():
            pytest.fail(f"demo coalition missing: {REPO_ROOT / name} (run scripts/make_demo.py)", pytrace=False)
    target = tmp_path / "demo"
    shutil.copytree(REPO_ROOT / "sovereigns", target / "sovereigns", symlinks=True)
    for name in ("coalition.json", "trust.lock"):
        shutil.copy2(REPO_ROOT / name, target / name)
    (target / ".handshake-cache").mkdir()   # keep this test's cache where the test can inspect it
    return target
