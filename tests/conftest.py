"""Shared test fixtures: where the reference material is, a fixed evaluation time, and a cache
home of the session's own (the suite never writes into the user's ~/.cache)."""
from __future__ import annotations

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
