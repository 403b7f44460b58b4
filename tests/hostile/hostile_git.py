"""Git objects no `git add` makes, written as raw trees (`git hash-object --literally`): entries
in any order, with any mode and name, sharing subtrees. A hostile contributor can push them;
git stores and transfers them unless the receiving side runs fsck."""
from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from hostile_repo import materialize

GIT = ["git", "-c", "user.name=Hostile Git", "-c", "user.email=hostile@example.invalid",
       "-c", "commit.gpgsign=false"]
Row = tuple[str, bytes, str]        # mode, name, object id


def git(repo: Path, *args: str, data: bytes | None = None, env: dict[str, str] | None = None) -> str:
    run = subprocess.run([*GIT, *args], cwd=repo, input=data, capture_output=True, check=False,
                         env={**os.environ, **(env or {})})
    if run.returncode != 0:
        pytest.fail(f"git {' '.join(args)} failed: {run.stderr.decode(errors='replace')[-500:]}", pytrace=False)
    return run.stdout.decode().strip()


def baseline(target: Path) -> Path:
    """The hostile corpus's baseline committed on `main`."""
    repo = materialize(target)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "baseline")
    return repo


def blob(repo: Path, data: bytes) -> str:
    return git(repo, "hash-object", "-w", "--stdin", data=data)


def tree(repo: Path, rows: list[Row]) -> str:
    """A tree object holding `rows` as given: no sorting, no check of names or modes."""
    body = b"".join(mode.encode() + b" " + name + b"\0" + bytes.fromhex(oid) for mode, name, oid in rows)
    return git(repo, "hash-object", "-w", "-t", "tree", "--literally", "--stdin", data=body)


def rows(repo: Path, tree_id: str) -> list[Row]:
    out = subprocess.run(["git", "ls-tree", "-z", tree_id], cwd=repo, capture_output=True, check=True).stdout
    found = []
    for token in out.split(b"\0"):
        if token:
            meta, _, name = token.partition(b"\t")
            mode, _, oid = meta.decode().split()
            found.append((mode.lstrip("0"), name, oid))
    return found


def edit(repo: Path, tree_id: str, path: list[bytes], change: Callable[[list[Row]], list[Row]]) -> str:
    """The tree `tree_id` with the folder at `path` replaced by `change` of its rows."""
    found = rows(repo, tree_id)
    if not path:
        return tree(repo, change(found))
    for index, (mode, name, oid) in enumerate(found):
        if name == path[0]:
            found[index] = (mode, name, edit(repo, oid, path[1:], change))
            return tree(repo, found)
    raise KeyError(path[0])


def commit(repo: Path, tree_id: str, *parents: str, message: str = "hostile", date: str | None = None) -> str:
    args = ["commit-tree", tree_id, "-m", message]
    for parent in parents:
        args += ["-p", parent]
    env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else None
    return git(repo, *args, env=env)


def head_tree(repo: Path, rev: str = "main") -> str:
    return git(repo, "rev-parse", f"{rev}^{{tree}}")
