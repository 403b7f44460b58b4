"""Where the Genesis Mesh reference material is: the one lookup every test and script uses.

In order: `$HANDSHAKE_SHARED`; `../shared` beside the repository (the maintained copy, when
it is checked out there); `tests/data/shared`, a copy kept in the repository (the reference's
MIT-licensed data, see its README) so a fresh clone tests on its own. No pytest here: the
reference-sample script imports it inside the reference venv.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
VENDORED = REPO_ROOT / "tests" / "data" / "shared"


def _complete(path: Path) -> bool:
    data = path / "genesis-mesh"
    return (data / "FORMATS.md").is_file() and (data / "real").is_dir() and (data / "conformance").is_dir()


def find_shared() -> Path | None:
    """The first complete copy of the reference material, or None. An explicit
    `$HANDSHAKE_SHARED` is the only candidate when set: a wrong override is an error, not a fallback."""
    override = os.environ.get("HANDSHAKE_SHARED")
    if override:
        return Path(override) if _complete(Path(override)) else None
    for candidate in (REPO_ROOT.parent / "shared", VENDORED):
        if _complete(candidate):
            return candidate
    return None
