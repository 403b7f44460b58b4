"""Fixtures for the documentation tests: one strict mkdocs build per session, and the hooks
module (docs/hooks.py) imported the way mkdocs imports it."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCS = REPO_ROOT / "docs"
if str(DOCS) not in sys.path:
    sys.path.append(str(DOCS))   # the generators (docs/docgen), importable as mkdocs imports them


@dataclass(frozen=True)
class Build:
    returncode: int
    output: str
    site: Path
    seconds: float

    @property
    def pages(self) -> list[Path]:
        return sorted(p for p in self.site.rglob("index.html"))

    def html(self, url: str) -> str:
        path = self.site / url / "index.html"
        if not path.is_file():
            pytest.fail(f"page {url} was not built ({path})", pytrace=False)
        return path.read_text("utf-8")


def run_mkdocs(site: Path, extra_env: dict[str, str] | None = None) -> Build:
    env = {k: v for k, v in os.environ.items() if k != "HANDSHAKE_DEMO_URL"}
    env.update(extra_env or {})
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(REPO_ROOT / "mkdocs.yml"),
         "-d", str(site)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    return Build(proc.returncode, proc.stdout + proc.stderr, site, time.perf_counter() - started)


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
