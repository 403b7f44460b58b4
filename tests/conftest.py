"""Shared test fixtures: where the reference material is, a fixed evaluation time, and a cache
home of the session's own (the suite never writes into the user's ~/.cache)."""
from __future__ import annotations

import shutil
from datetime import datetime, UTC
from pathlib import Path

import pytest

from tests.shared_data import find_shared

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_AT = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


def shared_dir() -> Path:
    """The reference material (tests/shared_data.py says where). Fails, never skips."""
    path = find_shared()
    if path is None:
        pytest.fail("reference material not found: $HANDSHAKE_SHARED, ../shared and tests/data/shared "
                    "all lack genesis-mesh/FORMATS.md, real/ and conformance/", pytrace=False)
    return path


@pytest.fixture(scope="session", autouse=True)
def _own_cache_home(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The commands the tests run keep their caches (verification results, the git log, the
    history) and the cache secret under a temporary $XDG_CACHE_HOME, not the user's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache-home")))
        patch.delenv("HANDSHAKE_CACHE_DIR", raising=False)
        yield


@pytest.fixture(scope="session")
def shared() -> Path:
    return shared_dir()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


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
