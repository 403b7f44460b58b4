"""Where private keys may live: never inside a repository or a site (edge: reads paths and
git's own markers, never key contents).

A private key file is refused when it is, or would be, inside any git work tree (a folder
with a `.git` entry above it, or the work tree that GIT_WORK_TREE, GIT_DIR or its
core.worktree names, as git itself would use it), inside a git directory (a bare repository
is served as is by dumb-HTTP hosts), inside a published Handshake site (a folder whose
manifest.json names the generator), or inside any Handshake repository (a folder holding
sovereigns/, trust.lock or coalition.json, git checkout or not), the one a command works on,
or the current directory's repository. Paths are resolved first, so a symlink or `..`
cannot smuggle a key file into a repository. Refuses; never moves keys.
"""
from __future__ import annotations

import os
from pathlib import Path
from collections.abc import Iterable, Mapping

from publisher.authoring import AuthoringError
from publisher.layout import TRUST_PATHS
from publisher.site.manifest import is_built_site

REPO_MARKERS = TRUST_PATHS


def key_path(path: str | os.PathLike[str]) -> Path:
    """The path a key file is read or written at: `~` expanded, as the checks below see it. A
    writer that took `~/rs` literally wrote `./~/rs.key` inside the current repository while
    the check had approved the home folder."""
    return Path(path).expanduser()


def resolved(path: str | os.PathLike[str]) -> Path:
    """The absolute real path, resolving symlinks of the existing part of it."""
    return Path(os.path.realpath(key_path(path)))


def handshake_repo(start: str | os.PathLike[str]) -> Path | None:
    """The nearest folder at or above `start` that looks like a Handshake repository."""
    here = resolved(start)
    for folder in (here, *here.parents):
        if _holds_trust_paths(folder) or (folder / ".git").exists():
            return folder
    return None


def _holds_trust_paths(folder: Path) -> bool:
    """`folder` holds sovereigns/, trust.lock or coalition.json: a Handshake repository, git
    checkout or not."""
    return any((folder / marker).exists() for marker in REPO_MARKERS)


def inside(target: Path, folder: Path) -> bool:
    """True when `target` (resolved) is `folder` (resolved) or lies under it: by name, or by
    the identity (device and inode) of an existing ancestor, since on a case-insensitive file
    system (macOS, Windows) `Sovereigns/site` lies inside `sovereigns/` and the names differ."""
    if target == folder or folder in target.parents:
        return True
    try:
        wanted = os.stat(folder)
    except OSError:
        return False                # no such folder: the names decided
    for ancestor in (target, *target.parents):
        try:
            found = os.stat(ancestor)
        except OSError:
            continue                # not created yet: its parents decide
        if (found.st_dev, found.st_ino) == (wanted.st_dev, wanted.st_ino):
            return True
    return False


def is_git_dir(folder: Path) -> bool:
    """git's own test for a repository directory (a bare one, or a `.git` folder)."""
    return (folder / "HEAD").is_file() and (folder / "objects").is_dir() and (folder / "refs").is_dir()


def _core_worktree(git_dir: Path) -> Path | None:
    """core.worktree from a git directory's config (relative to the git directory), or None."""
    try:
        text = (git_dir / "config").read_text("utf-8", "replace")
    except OSError:
        return None
    section = ""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line.strip("[]").strip().lower()
        elif section == "core" and "=" in line and line.split("=", 1)[0].strip().lower() == "worktree":
            value = line.split("=", 1)[1].strip().strip('"')
            return resolved(git_dir / os.path.expanduser(value)) if value else None
    return None


def environment_trees(environ: Mapping[str, str] | None = None) -> list[tuple[Path, str]]:
    """The git directory and work tree that git run here would use because of GIT_DIR and
    GIT_WORK_TREE (no `.git` marks them): GIT_WORK_TREE, else the git directory's
    core.worktree, else the current directory when GIT_DIR is set (git's rule)."""
    env = os.environ if environ is None else environ
    found: list[tuple[Path, str]] = []
    git_dir = resolved(env["GIT_DIR"]) if env.get("GIT_DIR") else None
    if git_dir is not None:
        found.append((git_dir, "the git directory GIT_DIR names"))
    if env.get("GIT_WORK_TREE"):
        found.append((resolved(env["GIT_WORK_TREE"]), "the git work tree GIT_WORK_TREE names"))
    elif git_dir is not None:
        tree = _core_worktree(git_dir)
        found.append((tree, f"the git work tree core.worktree of {git_dir} names") if tree is not None
                     else (resolved(Path.cwd()), "the git work tree GIT_DIR gives (the current directory)"))
    return found


def key_location_problem(path: str | os.PathLike[str], repos: Iterable[Path | None] = ()) -> str | None:
    """Why a private key must not be at `path`, or None when the place is acceptable."""
    target = resolved(path)
    for folder in (target, *target.parents):
        if (folder / ".git").exists():
            return f"{target} is inside the git work tree {folder}"
        if is_git_dir(folder):
            return f"{target} is inside the git repository {folder}"
        if is_built_site(folder):
            return f"{target} is inside the Handshake site {folder}"
    for root, what in environment_trees():
        if inside(target, root):
            return f"{target} is inside {what}, {root}"
    for repo in repos:
        if repo is not None and inside(target, resolved(repo)):
            return f"{target} is inside the repository {resolved(repo)}"
    for folder in target.parents:
        # Another Handshake repository than the one worked on, and no git checkout (a copy, a
        # tarball): keygen run from elsewhere wrote into it.
        if _holds_trust_paths(folder):
            return f"{target} is inside the Handshake repository {folder}"
    return None


def check_key_location(path: str | os.PathLike[str], *, repo: Path | None, what: str) -> None:
    """Refuse a private key file inside a repository (the one given, cwd's, or any git tree)."""
    problem = key_location_problem(path, (repo, handshake_repo(Path.cwd())))
    if problem:
        raise AuthoringError(f"refused: {what} {problem}. Private keys never live in a repository "
                             "or a site; keep them on an offline or separate medium")
