"""Where documents come from: the working tree here; a git commit in `publisher.gitsource`.

A source lists entries (never following symbolic links) and reads bytes. It is the only code
in the verification path that touches the filesystem. Symlinks are reported with whether
their target leaves the tree; they are never read through.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Protocol


@dataclass(frozen=True)
class Entry:
    path: str                  # repo-relative, POSIX separators
    type: str                  # "file" | "symlink" | "other"
    size: int = 0
    escapes: bool = False      # symlink whose target resolves outside the tree
    blob_id: str | None = None # git blob id when the source knows it (cache key)


class Source(Protocol):
    """Read-only view of a repository tree."""

    def entries(self, prefix: str = "") -> list[Entry]: ...

    def read(self, path: str) -> bytes: ...

    def describe(self) -> str: ...


class WorktreeSource:
    """The files of a directory on disk (a checkout, or any folder in the layout)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def describe(self) -> str:
        return str(self.root)

    def entries(self, prefix: str = "") -> list[Entry]:
        base = self.root / prefix if prefix else self.root
        if base.is_symlink() or base.is_file():
            return [self._entry(base)]
        if not base.is_dir():
            return []
        found: list[Entry] = []
        for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if d != ".git")
            here = Path(dirpath)
            for name in list(dirnames):
                if (here / name).is_symlink():
                    dirnames.remove(name)
                    found.append(self._entry(here / name))
            for name in sorted(filenames):
                found.append(self._entry(here / name))
        found.sort(key=lambda e: e.path)
        return found

    def _entry(self, full: Path) -> Entry:
        rel = full.relative_to(self.root).as_posix()
        info = full.lstat()
        if stat.S_ISLNK(info.st_mode):
            target = os.readlink(full)
            resolved = (full.parent / target).resolve() if not os.path.isabs(target) else Path(target).resolve()
            escapes = not (resolved == self.root or self.root in resolved.parents)
            return Entry(rel, "symlink", 0, escapes)
        if stat.S_ISREG(info.st_mode):
            return Entry(rel, "file", info.st_size)
        return Entry(rel, "other", 0)

    def read(self, path: str) -> bytes:
        full = self.root / path
        # O_NOFOLLOW: a file swapped for a symlink after listing is refused, not followed.
        fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as handle:
            return handle.read()


def group_by_sovereign(entries: Iterable[Entry]) -> dict[str, list[Entry]]:
    """Entries under sovereigns/<id>/ grouped by id (sorted); other entries are left out."""
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        parts = entry.path.split("/", 2)
        if len(parts) >= 2 and parts[0] == "sovereigns":
            groups.setdefault(parts[1], []).append(entry)
    return dict(sorted(groups.items()))
