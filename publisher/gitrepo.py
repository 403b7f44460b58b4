"""The git adapter: the only module that imports GitPython.

Everything else works on plain values (commit ids, times, bytes). Reads go through one
`git` process per call (`ls-tree`, `log`, `cat-file --batch`) rather than per-object walks,
which measure about ten times slower on a 5,000-commit repository.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import git


class GitError(Exception):
    """A git operation failed (not a repository, shallow or corrupt history, unknown ref)."""


@dataclass(frozen=True)
class Commit:
    sha: str
    time: datetime          # committer time, UTC


def open_repo(root: str | Path) -> git.Repo:
    try:
        return git.Repo(str(root), search_parent_directories=False)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise GitError(f"{root} is not a git repository") from exc


def is_repository(root: str | Path) -> bool:
    return (Path(root) / ".git").exists()


def head_commit(root: str | Path) -> Commit | None:
    """HEAD's id and committer time, or None outside a repository or before the first commit."""
    if not is_repository(root):
        return None
    try:
        out = open_repo(root).git.log("-1", "--format=%H %ct", "HEAD")
    except git.GitCommandError:
        return None
    sha, seconds = out.split()
    return Commit(sha, datetime.fromtimestamp(int(seconds), timezone.utc))


def resolve(root: str | Path, ref: str) -> str:
    """Full commit id of `ref`."""
    try:
        return open_repo(root).git.rev_parse("--verify", f"{ref}^{{commit}}")
    except git.GitCommandError as exc:
        raise GitError(f"unknown revision {ref!r}") from exc


def export_tree(root: str | Path, commit: str, dest: str | Path) -> None:
    """Write the files of `commit` into the empty directory `dest` (git archive | tar)."""
    import io
    import tarfile

    try:
        data = open_repo(root).git.archive("--format=tar", commit, stdout_as_string=False)
    except git.GitCommandError as exc:
        raise GitError(f"cannot export {commit}: {exc.stderr.strip()[:200]}") from exc
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(dest, filter="data")
