"""History test fixtures: the scripted-repository builders live in trustrepo.py beside this file."""
from __future__ import annotations

import shutil

import pytest


@pytest.fixture(scope="session", autouse=True)
def _git_available() -> None:
    if shutil.which("git") is None:
        pytest.fail("git is required for the history tests", pytrace=False)
