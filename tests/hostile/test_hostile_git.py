"""Hostile git objects under `verify --rev`, the history checks and `review`: trees no `git add`
writes (an empty name, a tree deeper than Python's recursion limit, a symbolic link whose
target is megabytes long) are findings, never a traceback, and cost no more memory than
their bound."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from hostile_git import baseline, blob, commit, edit, git, head_tree, tree
from publisher.cli import main as cli_main

AT = "2026-11-23T12:00:00Z"
ALPHA = [b"sovereigns", b"alpha"]


def verify(repo: Path, rev: str, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, set[str]]:
    status = cli_main(["verify", str(repo), "--rev", rev, "--at", AT, "--format", "json", "--jobs", "1", *extra])
    out, err = capsys.readouterr()
    assert err == ""
    return status, {f["code"] for f in json.loads(out)["findings"]}


def deep_folder(repo: Path, depth: int) -> str:
    """A folder `depth` levels deep (d/d/d/.../f.json): a few hundred bytes of objects."""
    inner = tree(repo, [("100644", b"f.json", blob(repo, b"{}\n"))])
    for _ in range(depth):
        inner = tree(repo, [("40000", b"d", inner)])
    return inner


def test_a_merged_branch_deeper_than_the_recursion_limit_is_walked(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The history checks read the sovereign folders of merged branches tree by tree; a folder
    nested past Python's recursion limit is listed like any other (and verified where it is
    published: here it is not, the merge keeps the main line's tree)."""
    repo = baseline(tmp_path / "repo")
    deep = deep_folder(repo, sys.getrecursionlimit() + 100)
    side = commit(repo, edit(repo, head_tree(repo), ALPHA, lambda r: sorted([*r, ("40000", b"deep", deep)],
                                                                         key=lambda row: row[1])), "main")
    merged = commit(repo, head_tree(repo), "main", side, message="merge a deep branch")
    git(repo, "update-ref", "refs/heads/merged", merged)
    assert verify(repo, "merged", capsys) == (0, set())


def test_a_tree_git_cannot_list_is_a_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A tree entry with an empty name: git stores it, and `git ls-tree` refuses the tree
    ("empty filename in tree entry"). `verify --rev` says so as git.unreadable."""
    repo = baseline(tmp_path / "repo")
    treaty = git(repo, "rev-parse", "main:sovereigns/alpha/genesis.signed.json")
    hostile = commit(repo, edit(repo, head_tree(repo), [*ALPHA, b"treaties"],
                                lambda r: [*r, ("100644", b"", treaty)]), "main")
    git(repo, "update-ref", "refs/heads/hostile", hostile)
    assert verify(repo, "hostile", capsys, "--no-history") == (1, {"git.unreadable"})
    assert verify(repo, "hostile", capsys) == (1, {"git.unreadable"})


def test_a_symbolic_link_megabytes_long_is_not_read_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A link's target is a blob, and git bounds it by nothing; no checkout can hold one longer
    than PATH_MAX. Its first bytes say it is a link; the rest is never read."""
    from publisher import gitrepo

    repo = baseline(tmp_path / "repo")
    target = b"../" * (3 << 20)
    link = blob(repo, target)
    hostile = commit(repo, edit(repo, head_tree(repo), [*ALPHA, b"treaties"],
                                lambda r: [*r, ("120000", b"link.json", link)]), "main")
    git(repo, "update-ref", "refs/heads/hostile", hostile)
    largest = [0]
    real = gitrepo.BlobReader.read_many

    def measured(self: gitrepo.BlobReader, ids, *, max_bytes=None):  # type: ignore[no-untyped-def]
        found = real(self, ids, max_bytes=max_bytes)
        largest[0] = max([largest[0], *map(len, found.values())])
        return found

    monkeypatch.setattr(gitrepo.BlobReader, "read_many", measured)
    assert verify(repo, "hostile", capsys) == (1, {"layout.symlink_escape"})
    status = cli_main(["review", "--repo", str(repo), "main", "hostile", "--at", AT, "--format", "json"])
    assert "layout.symlink_escape" in capsys.readouterr().out and status in (0, 1)
    assert 0 < largest[0] < len(target)


def tree_bomb(repo: Path, depth: int) -> str:
    """A folder whose every level holds two names for the same subtree: `depth` trees of a few
    bytes each stand for 2^depth files."""
    inner = tree(repo, [("100644", b"f.json", blob(repo, b"{}\n"))])
    for _ in range(depth):
        inner = tree(repo, [("40000", b"a", inner), ("40000", b"b", inner)])
    return inner


BOMB_DEPTH = 14                 # 16,384 paths, past the lowered bound and under every other limit


@pytest.fixture
def bounded(monkeypatch: pytest.MonkeyPatch) -> int:
    """MAX_PATHS lowered to 1,000 (the default, a million, would take git a minute to reach)."""
    from publisher import gitrepo

    monkeypatch.setattr(gitrepo, "MAX_PATHS", 1000, raising=False)
    return 1000


def _with_bomb(repo: Path, path: list[bytes], name: bytes) -> str:
    bomb = tree_bomb(repo, BOMB_DEPTH)
    return edit(repo, head_tree(repo), path, lambda r: sorted([*r, ("40000", name, bomb)], key=lambda row: row[1]))


def test_a_tree_bomb_in_the_verified_commit_is_a_limit_finding(tmp_path: Path, bounded: int,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    repo = baseline(tmp_path / "repo")
    git(repo, "update-ref", "refs/heads/bomb", commit(repo, _with_bomb(repo, ALPHA, b"bomb"), "main"))
    assert verify(repo, "bomb", capsys, "--no-history") == (1, {"limits.too_many_files"})
    status = cli_main(["review", "--repo", str(repo), "main", "bomb", "--at", AT, "--format", "json"])
    out, err = capsys.readouterr()
    assert status == 2 and out == "" and "more than 1,000 paths" in err


@pytest.mark.parametrize("where", [ALPHA, [b"docs"]], ids=["in a sovereign", "outside the trust paths"])
def test_a_tree_bomb_in_the_history_stops_the_walk_with_a_finding(tmp_path: Path, bounded: int, where: list[bytes],
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A commit that added the bomb and one that took it away: the published tree is clean, and
    `git log --raw` would list 2^depth paths for the first. Reading stops at the bound."""
    repo = baseline(tmp_path / "repo")
    if where == [b"docs"]:
        docs = tree(repo, [("100644", b"README", blob(repo, b"docs\n"))])
        git(repo, "update-ref", "refs/heads/main", commit(repo, edit(
            repo, head_tree(repo), [], lambda r: sorted([*r, ("40000", b"docs", docs)], key=lambda row: row[1])),
            "main"))
    clean = head_tree(repo)
    added = commit(repo, _with_bomb(repo, where, b"bomb"), "main", date="2026-11-20T00:00:00Z")
    removed = commit(repo, clean, added, date="2026-11-21T00:00:00Z")
    git(repo, "update-ref", "refs/heads/main", removed)
    status = cli_main(["verify", str(repo), "--rev", "main", "--at", AT, "--format", "json", "--jobs", "1",
                       "--no-cache"])
    out, err = capsys.readouterr()
    found = json.loads(out)["findings"]
    assert status == 1 and err == ""
    assert [f["code"] for f in found] == ["git.unreadable"] and "more than 1,000 paths" in found[0]["message"]


def test_a_tree_bomb_on_a_merged_branch_stops_the_walk_with_a_finding(tmp_path: Path, bounded: int,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A side branch holding the bomb, merged with the main line's tree kept: only the walk of
    merged branches (history/sides) reads its folders, tree by tree."""
    repo = baseline(tmp_path / "repo")
    side = commit(repo, _with_bomb(repo, ALPHA, b"bomb"), "main")
    merged = commit(repo, head_tree(repo), "main", side, message="merge the bomb, keep main's tree")
    git(repo, "update-ref", "refs/heads/merged", merged)
    status, codes = verify(repo, "merged", capsys, "--no-cache")
    assert (status, codes) == (1, {"git.unreadable"})


def test_many_commits_each_under_the_bound_stop_the_walk_at_the_whole_logs_bound(
        tmp_path: Path, bounded: int, capsys: pytest.CaptureFixture[str]) -> None:
    """Each commit adds or removes a 512-path folder, under the 1,000 a commit may list; four
    such pairs list 4,096 paths, past the whole log's 3,000 (LOG_PATHS_FACTOR x MAX_PATHS)."""
    repo = baseline(tmp_path / "repo")
    clean, bomb = head_tree(repo), tree_bomb(repo, 9)
    dirty = edit(repo, clean, ALPHA, lambda r: sorted([*r, ("40000", b"bomb", bomb)], key=lambda row: row[1]))
    head = git(repo, "rev-parse", "main")
    for day in range(4):
        head = commit(repo, dirty, head, date=f"2026-11-1{day}T00:00:00Z")
        head = commit(repo, clean, head, date=f"2026-11-1{day}T12:00:00Z")
    git(repo, "update-ref", "refs/heads/main", head)
    status = cli_main(["verify", str(repo), "--rev", "main", "--at", AT, "--format", "json", "--jobs", "1",
                       "--no-cache"])
    found = json.loads(capsys.readouterr().out)["findings"]
    assert status == 1
    assert [f["code"] for f in found] == ["git.unreadable"] and "more than 3,000 paths" in found[0]["message"]


def test_a_tree_bomb_is_not_exported_for_verify_site(tmp_path: Path, bounded: int) -> None:
    """verify-site exports the commit its manifest names (a manifest anyone can write): past
    the bound nothing is written, as verify --rev lists nothing past it."""
    from publisher import gitrepo

    repo = baseline(tmp_path / "repo")
    bomb = commit(repo, _with_bomb(repo, ALPHA, b"bomb"), "main")
    dest = tmp_path / "export"
    dest.mkdir()
    with pytest.raises(gitrepo.TooManyPaths):
        gitrepo.export_tree(repo, bomb, dest)
    assert list(dest.iterdir()) == []


def _pairs_after_fillers(repo: Path, fillers: int, pairs: int) -> list[str]:
    """`fillers` commits changing nothing, then `pairs` commits adding and removing a 512-path
    folder: the first-parent chain's commit ids after the baseline, oldest first."""
    clean, bomb = head_tree(repo), tree_bomb(repo, 9)
    dirty = edit(repo, clean, ALPHA, lambda r: sorted([*r, ("40000", b"bomb", bomb)], key=lambda row: row[1]))
    head, chain = git(repo, "rev-parse", "main"), []
    for day in range(fillers):
        chain.append(head := commit(repo, clean, head, date=f"2026-10-{day + 1:02d}T00:00:00Z"))
    for day in range(pairs):
        chain.append(head := commit(repo, dirty, head, date=f"2026-11-1{day}T00:00:00Z"))
        chain.append(head := commit(repo, clean, head, date=f"2026-11-1{day}T12:00:00Z"))
    git(repo, "update-ref", "refs/heads/main", head)
    return chain


def _log(repo: Path, rev: str, **options: object) -> list[str] | str:
    from publisher import gitrepo
    from publisher.history.logcache import history_log

    try:
        return [entry.commit.sha for entry in history_log(repo, rev, **options)]  # type: ignore[arg-type]
    except gitrepo.TooManyPaths as exc:
        return str(exc)


def test_the_whole_logs_bound_does_not_depend_on_the_split(tmp_path: Path, bounded: int,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """2,048 paths listed, all in the history's second half: under the whole log's 3,000 read
    as one git log; split in two (two cores), the second range alone was past half of it."""
    from publisher import gitrepo

    monkeypatch.setattr(gitrepo, "SPLIT_LOG_COMMITS", 4)
    repo = baseline(tmp_path / "repo")
    _pairs_after_fillers(repo, 8, 2)
    whole = _log(repo, "main", parts=1)
    assert isinstance(whole, list) and len(whole) == 5
    assert _log(repo, "main", parts=2) == whole


def test_the_whole_logs_bound_does_not_depend_on_the_cache(tmp_path: Path, bounded: int) -> None:
    """3,072 paths listed, past the whole log's 3,000: refused cold, and refused as well when
    the log of an earlier commit (2,048 of them) was kept and only the rest is read."""
    from publisher.cache import open_cache

    repo = baseline(tmp_path / "repo")
    chain = _pairs_after_fillers(repo, 0, 3)
    cold = _log(repo, "main")
    assert isinstance(cold, str) and "more than 3,000 paths" in cold
    cache = open_cache(repo)
    assert cache is not None
    assert isinstance(_log(repo, chain[3], cache=cache), list)
    assert _log(repo, "main", cache=cache) == cold


def test_many_side_commits_each_under_the_bound_stop_the_side_walk(tmp_path: Path, bounded: int,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """A merged branch of five commits, each with its own 766-path folder (a bomb of depth 8
    whose leaf differs): under the 1,000 one folder may list and 1,280 change lines in all, but
    the side walk lists every folder whole, 3,830 paths, past the whole log's 3,000."""
    repo = baseline(tmp_path / "repo")
    head = git(repo, "rev-parse", "main")
    for day in range(5):
        inner = tree(repo, [("100644", b"f.json", blob(repo, b'{"n": %d}\n' % day))])
        for _ in range(8):
            inner = tree(repo, [("40000", b"a", inner), ("40000", b"b", inner)])
        side = edit(repo, head_tree(repo), ALPHA,
                    lambda r, bomb=inner: sorted([*r, ("40000", b"bomb", bomb)], key=lambda row: row[1]))
        head = commit(repo, side, head, date=f"2026-11-1{day}T00:00:00Z")
    merged = commit(repo, head_tree(repo), "main", head, message="merge five bombs, keep main's tree")
    git(repo, "update-ref", "refs/heads/merged", merged)
    assert verify(repo, "merged", capsys, "--no-cache") == (1, {"git.unreadable"})
