"""The repository's copy of the reference material (tests/data/shared) is complete, and
identical to ../shared wherever that maintained copy is checked out beside the repository."""
from __future__ import annotations

from tests.shared_data import REPO_ROOT, VENDORED, _complete


def _files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted((root / "genesis-mesh").rglob("*")) if p.is_file()}


def test_the_vendored_copy_is_complete_and_current():
    assert _complete(VENDORED)
    vendored = _files(VENDORED)
    assert "genesis-mesh/conformance/signatures.json" in vendored
    beside = REPO_ROOT.parent / "shared"
    if _complete(beside):
        assert vendored == _files(beside), "tests/data/shared differs from ../shared: copy it again"
