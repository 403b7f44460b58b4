"""Shared test fixtures: where the reference material is, a fixed evaluation time."""
from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_AT = datetime(2026, 11, 23, 12, 0, 0, tzinfo=timezone.utc)


def shared_dir() -> Path:
    """`../shared` beside the repository (override: HANDSHAKE_SHARED). Fails, never skips."""
    path = Path(os.environ.get("HANDSHAKE_SHARED", REPO_ROOT.parent / "shared"))
    if not (path / "genesis-mesh" / "FORMATS.md").is_file():
        pytest.fail(f"reference material not found at {path}: clone shared/ beside the repository "
                    "or set HANDSHAKE_SHARED", pytrace=False)
    return path


@pytest.fixture(scope="session")
def shared() -> Path:
    return shared_dir()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
