"""Where private keys may live: never inside a repository (edge: reads paths, never contents).

A private key file is refused when it is, or would be, inside any git work tree (a folder
with a `.git` entry above it), or inside the Handshake repository a command works on (which
need not be a git checkout), or the current directory's repository. Paths are resolved first,
so a symlink or `..` cannot smuggle a key file into a repository. Refuses; never moves keys.
"""
from __future__ import annotations

import os
from pathlib import Path
from collections.abc import Iterable

from publisher.authoring import AuthoringError
from publisher.layout import TRUST_PATHS

REPO_MARKERS = TRUST_PATHS


def resolved(path: str | os.PathLike[str]) -> Path:
    """The absolute real path, resolving symlinks of the existing part of it."""
    return Path(os.path.realpath(Path(path).expanduser()))


def git_work_tree(path: str | os.PathLike[str]) -> Path | None:
    """The top of the git work tree containing `path` (existing or not), or None."""
    here = resolved(path)
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return None


def handshake_repo(start: str | os.PathLike[str]) -> Path | None:
    """The nearest folder at or above `start` that looks like a Handshake repository."""
    here = resolved(start)
    for folder in (here, *here.parents):
        if any((folder / marker).exists() for marker in REPO_MARKERS) or (folder / ".git").exists():
            return folder
    return None


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def key_location_problem(path: str | os.PathLike[str], repos: Iterable[Path | None] = ()) -> str | None:
    """Why a private key must not be at `path`, or None when the place is acceptable."""
    target = resolved(path)
    tree = git_work_tree(target)
    if tree is not None:
        return f"{target} is inside the git work tree {tree}"
    for repo in repos:
        if repo is not None and _inside(target, resolved(repo)):
            return f"{target} is inside the repository {resolved(repo)}"
    return None


def check_key_location(path: str | os.PathLike[str], *, repo: Path | None, what: str) -> None:
    """Refuse a private key file inside a repository (the one given, cwd's, or any git tree)."""
    problem = key_location_problem(path, (repo, handshake_repo(Path.cwd())))
    if problem:
        raise AuthoringError(f"refused: {what} {problem}. Private keys never live in a repository "
                             "or a site; keep them on an offline or separate medium")
