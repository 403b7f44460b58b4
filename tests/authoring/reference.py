"""Calling the Genesis Mesh reference (genesis-mesh 1.8.1 in .venv-ref) from round-trip tests.

Every call goes through `.venv-ref/bin/python tests/interop/reference_tool.py ...` or the
reference's own `genesis-mesh` CLI in the same venv. A missing .venv-ref FAILS the test with
a message naming scripts/setup-reference.sh; it never skips.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
REF_BIN = REPO_ROOT / ".venv-ref" / "bin"
TOOL = REPO_ROOT / "tests" / "interop" / "reference_tool.py"
CORPUS = REPO_ROOT / "tests" / "interop" / "corpus"


def reference_bin(name: str = "python") -> Path:
    path = REF_BIN / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: run scripts/setup-reference.sh (Python 3.12 + genesis-mesh 1.8.1 "
                    "in .venv-ref) before the interop round-trip tests", pytrace=False)
    return path


def tool(*args: str) -> dict[str, Any]:
    proc = subprocess.run([str(reference_bin()), str(TOOL), *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"reference_tool.py {' '.join(args)}: {proc.stderr[-2000:]}"
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def verify(kind: str, file: Path, *, keys: tuple[str, ...] = (), root: str | None = None,
           key_history: Path | None = None, at: str | None = None) -> dict[str, Any]:
    """The reference's strict and model verdicts on `file` (see tests/interop/README.md)."""
    args = ["verify", kind, str(file)]
    if keys:
        args += ["--keys", ",".join(keys)]
    if root:
        args += ["--root", root]
    if key_history:
        args += ["--key-history", str(key_history)]
    if at:
        args += ["--at", at]
    return tool(*args)


def signed_bytes(kind: str, file: Path) -> str:
    return str(tool("signed-bytes", kind, str(file))["signed_bytes"])


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The reference's own `genesis-mesh` command line."""
    proc = subprocess.run([str(reference_bin("genesis-mesh")), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, f"genesis-mesh {' '.join(args)}: {proc.stdout[-2000:]}{proc.stderr[-2000:]}"
    return proc


def corpus_seed(letter: str) -> bytes:
    """The corpus's fixed seeds (tests/interop/refimpl/keys.py): letter n = bytes 32n..32n+31."""
    n = "abcdefgh".index(letter)
    return bytes(range(32 * n, 32 * n + 32))
