"""Fixtures for the documentation tests: one strict mkdocs build per session, and the hooks
module (docs/hooks.py) loaded from its file as mkdocs loads it."""
from __future__ import annotations

import importlib.util
from types import ModuleType

import pytest

from tests.docs.support import DOCS, Build, run_mkdocs


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The documentation built with `mkdocs build --strict` into a temporary directory."""
    if importlib.util.find_spec("mkdocs") is None:
        pytest.fail("mkdocs is not installed: pip install -e '.[docs]'", pytrace=False)
    build = run_mkdocs(tmp_path_factory.mktemp("docs-site"))
    if build.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{build.output}", pytrace=False)
    return build


@pytest.fixture(scope="session")
def hooks() -> ModuleType:
    """docs/hooks.py, loaded from its file as mkdocs loads it."""
    spec = importlib.util.spec_from_file_location("handshake_docs_hooks", DOCS / "hooks.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def generated(hooks: ModuleType) -> dict[str, str]:
    return hooks.generated_pages()
