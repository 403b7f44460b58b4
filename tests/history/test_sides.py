"""history.sides reads raw tree objects: a malformed one is a GitError (a git.unreadable finding), never a traceback."""
from __future__ import annotations

import pytest

from publisher.gitrepo import GitError
from publisher.history.sides import _rows


def test_tree_rows_sha1_and_sha256():
    raw = b"100644 a.json\0" + bytes(20) + b"40000 d\0" + bytes(range(20))
    assert _rows(raw, 20) == [("100644", "a.json", "00" * 20), ("40000", "d", bytes(range(20)).hex())]
    assert _rows(b"100644 a\0" + bytes(32), 32) == [("100644", "a", "00" * 32)]


@pytest.mark.parametrize("raw", [b"100644 a.json\0abc", b"junk", b"100644 x", b"\0" + bytes(20)],
                         ids=["truncated-id", "no-separators", "no-nul", "no-mode"])
def test_malformed_tree_is_a_git_error(raw):
    with pytest.raises(GitError):
        _rows(raw, 20)
