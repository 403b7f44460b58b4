"""GitSource: verifying a commit gives what verifying its checkout gives; links are never read."""
from __future__ import annotations

import os

from publisher import gitrepo, gitsource
from publisher.gitsource import GitSource
from publisher.verify import verify_path, verify_repository
from tests.history.trustrepo import NOW, World, commit_states, git


def test_commit_and_checkout_verify_the_same(tmp_path):
    world = World("alpha", "beta")
    world["alpha"].treaty("t1", world["beta"])
    world.pin_all()
    first = commit_states(tmp_path / "repo", [world.files()])[0]
    world["alpha"].set_feed(["att-1"], sequence=0)           # a finding at the second commit only
    commit_states(tmp_path / "repo", [world.files()])
    source = GitSource(tmp_path / "repo", first)
    at_commit = verify_repository(source, at=NOW, workers=1)
    checkout = tmp_path / "checkout"
    git(tmp_path / "repo", "worktree", "add", "-q", str(checkout), first)
    assert at_commit.findings == verify_path(checkout, at=NOW, workers=1).findings
    head = verify_repository(GitSource(tmp_path / "repo", "HEAD"), at=NOW, workers=1)
    assert "feed.sequence_below_count" in {f.code for f in head.findings}
    assert "feed.sequence_below_count" not in {f.code for f in at_commit.findings}


def test_symlinks_are_listed_with_their_escape_and_never_read(tmp_path):
    world = World("alpha")
    commit_states(tmp_path, [world.files()])
    os.symlink("../../../../etc/passwd", tmp_path / "sovereigns/alpha/README.md")
    os.symlink("genesis.signed.json", tmp_path / "sovereigns/alpha/genesis.json")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "links")
    entries = {e.path: e for e in GitSource(tmp_path, "HEAD").entries("sovereigns/alpha")}
    readme, unsigned = entries["sovereigns/alpha/README.md"], entries["sovereigns/alpha/genesis.json"]
    assert (readme.type, readme.escapes) == ("symlink", True)
    assert (unsigned.type, unsigned.escapes) == ("symlink", False)
    codes = {f.code for f in verify_repository(GitSource(tmp_path, "HEAD"), at=NOW, workers=1).findings}
    assert {"layout.symlink_escape", "layout.symlink"} <= codes


def _listings(source: GitSource, folders: list[str]) -> dict[str, list]:
    return {folder: source.entries(folder) for folder in folders}


def test_many_folders_prefetched_are_listed_as_one_by_one(tmp_path, monkeypatch):
    """From WHOLE_PARENT_AT folders of one parent, prefetch lists the parent whole: each asked
    folder is then listed as asking for it alone lists it, and no other folder's file is known."""
    world = World("alpha", "beta", "gamma", "delta", "epsilon")
    commit_states(tmp_path, [{**world.files(), "sovereigns/beta/treaties/x.json": b"{}"}])
    asked = ["sovereigns/alpha", "sovereigns/beta", "sovereigns/delta", "sovereigns/nobody", "trust.lock"]
    one_by_one = _listings(GitSource(tmp_path, "HEAD"), asked)
    calls: list[list[str]] = []
    real = gitrepo.ls_tree

    def counting(root, commit, paths):
        calls.append(list(paths))
        return real(root, commit, paths)
    monkeypatch.setattr(gitrepo, "ls_tree", counting)
    monkeypatch.setattr(gitsource, "WHOLE_PARENT_AT", 3)
    source = GitSource(tmp_path, "HEAD")
    source.prefetch(asked)
    assert calls == [["sovereigns", "trust.lock"]]
    assert _listings(source, asked) == one_by_one and calls == [["sovereigns", "trust.lock"]]
    assert source.blob_id("sovereigns/gamma/genesis.signed.json") is not None    # asked now: listed
    assert len(calls) == 2


def test_a_parent_too_large_to_list_whole_falls_back_to_the_folders_asked(tmp_path, monkeypatch):
    world = World("alpha", "beta", "gamma", "delta")
    commit_states(tmp_path, [world.files()])
    asked = ["sovereigns/alpha", "sovereigns/beta", "sovereigns/gamma"]
    one_by_one = _listings(GitSource(tmp_path, "HEAD"), asked)
    monkeypatch.setattr(gitsource, "WHOLE_PARENT_AT", 3)
    monkeypatch.setattr(gitrepo, "MAX_PATHS", sum(len(rows) for rows in one_by_one.values()))
    source = GitSource(tmp_path, "HEAD")
    source.prefetch(asked)
    assert _listings(source, asked) == one_by_one
