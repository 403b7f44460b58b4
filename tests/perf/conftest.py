"""Fixtures for the cache and fast-path tests: an isolated cache home, a tiny synthetic
coalition built by bench/ (real signatures, real git history). The demo's copy is
`demo_copy` (tests/conftest.py)."""
from __future__ import annotations

from pathlib import Path

import pytest



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
