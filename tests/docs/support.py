"""Helpers for the documentation tests: where things are, and one strict mkdocs build."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

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
