"""Repositories for hostile tests: the committed corpus materialised on disk, or any
{path: bytes} served from memory through the `Source` protocol (`MemorySource`).

The corpus is committed (tests/hostile/corpus, written by make_corpus.py); a missing corpus
fails loudly. Attack folders store paths percent-encoded, decoded here.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import unquote

import pytest

from publisher.source import Entry

Files = dict[str, bytes]

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"


def corpus_dir() -> Path:
    if not (CORPUS / "baseline" / "trust.lock").is_file():
        pytest.fail(f"hostile corpus missing at {CORPUS}: run python tests/hostile/make_corpus.py",
                    pytrace=False)
    return CORPUS


def attack_names() -> list[str]:
    return sorted(p.name for p in (corpus_dir() / "attacks").iterdir() if p.is_dir())


def materialize(target: Path, attack: str | None = None) -> Path:
    """Copy the baseline to `target`, then the attack's files over it; returns `target`."""
    corpus = corpus_dir()
    shutil.copytree(corpus / "baseline", target, dirs_exist_ok=True)
    if attack is not None:
        overlay = corpus / "attacks" / attack
        if not overlay.is_dir():
            pytest.fail(f"no attack folder {overlay}", pytrace=False)
        for path in sorted(overlay.rglob("*")):
            if path.is_file():
                dest = target / unquote(path.relative_to(overlay).as_posix())
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(path.read_bytes())
    return target


class MemorySource:
    """A read-only repository held in a dict of path -> bytes (every entry a regular file)."""

    def __init__(self, files: Files) -> None:
        self.files = dict(files)

    def describe(self) -> str:
        return "memory"

    def entries(self, prefix: str = "") -> list[Entry]:
        return [Entry(path, "file", len(data)) for path, data in sorted(self.files.items())
                if not prefix or path == prefix or path.startswith(prefix.rstrip("/") + "/")]

    def read(self, path: str) -> bytes:
        return self.files[path]
