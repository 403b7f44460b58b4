"""What a cache directory holds, and clearing it: for `handshake cache`.

Stage: I/O at the edge. The cache bounds what grows per input (the newest 8 packs of a kind,
the newest 8 snapshots), but a folder's or a page's entry is content-addressed and stays
after the content changed, and a repository deleted leaves its cache under
`$XDG_CACHE_HOME/handshake/repos/`. So operators can see where the cache is and what it
takes, and clear it; a cleared entry is only a miss.

Only what Handshake wrote is ever deleted, recognised by its bytes or its name, never by where
it lies: `$HANDSHAKE_CACHE_DIR` may name any folder, by mistake a home directory. A cache is
`<root>/<kind>/<two hex digits or "packs">/<file>`; a file counts as Handshake's when it starts
with an entry's or a pack's magic, or is named as their temporary files are. Nothing else is
read past its first bytes or removed; links are never followed, and only real folders of this
user's (publisher.cache's rule) are walked. Never raises for what cannot be listed or removed:
it is left, and not counted as cleared.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from publisher.cache import MAGIC, TEMPORARY_ENTRY, entries_in, private_directory, private_folders
from publisher.cachepack import PACK_MAGIC, temporary_pack


def _temporary(name: str) -> bool:
    """Named as an entry's or a pack's file is while it is written (cachepack.evict's test)."""
    return TEMPORARY_ENTRY.fullmatch(name) is not None or temporary_pack(name)


@dataclass
class KindUsage:
    """The Handshake files of one kind: loose entries, packs, temporaries left by a run that
    died, and their bytes."""
    kind: str
    entries: int = 0
    packs: int = 0
    temporaries: int = 0
    size: int = 0

    @property
    def files(self) -> int:
        return self.entries + self.packs + self.temporaries


@dataclass
class Usage:
    directory: Path
    kinds: list[KindUsage] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(k.size for k in self.kinds)

    @property
    def files(self) -> int:
        return sum(k.files for k in self.kinds)


def _classify(entry: os.DirEntry[str]) -> tuple[str, int] | None:
    """("entries" | "packs" | "temporaries", size) for a file Handshake wrote (the name of
    the KindUsage field that counts it); None otherwise."""
    try:
        info = entry.stat(follow_symlinks=False)
        if not entry.is_file(follow_symlinks=False):
            return None
        if _temporary(entry.name):
            return "temporaries", info.st_size
        fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            head = os.read(fd, len(MAGIC))
        finally:
            os.close(fd)
    except OSError:
        return None
    if head == MAGIC:
        return "entries", info.st_size
    if head == PACK_MAGIC and entry.name.endswith(".pack"):
        return "packs", info.st_size
    return None


def _walk(directory: Path, *, remove: bool) -> Usage:
    usage = Usage(directory)
    if not _is_private(str(directory)):
        return usage
    for kind in private_folders(str(directory)):
        counted = KindUsage(kind.name)
        for folder in private_folders(kind.path):
            for entry in entries_in(folder.path):
                found = _classify(entry)
                if found is None:
                    continue
                if remove:
                    try:
                        os.unlink(entry.path)
                    except OSError:
                        continue
                what, size = found
                setattr(counted, what, getattr(counted, what) + 1)
                counted.size += size
            if remove:
                _rmdir(folder.path)
        if remove:
            _rmdir(kind.path)
        if counted.files:
            usage.kinds.append(counted)
    return usage


def _rmdir(path: str) -> None:
    try:
        os.rmdir(path)            # only when empty: anything not Handshake's keeps its folder
    except OSError:
        pass


def _is_private(path: str) -> bool:
    try:
        return private_directory(os.lstat(path))
    except OSError:
        return False


def usage(directory: Path) -> Usage:
    """What the cache at `directory` holds, per kind (largest first)."""
    found = _walk(directory, remove=False)
    found.kinds.sort(key=lambda k: (-k.size, k.kind))
    return found


def clear(directory: Path) -> Usage:
    """Remove every Handshake file of the cache at `directory` (the directory itself stays);
    what was removed."""
    return _walk(directory, remove=True)


def repository_caches(home: Path) -> list[Path]:
    """The per-repository caches under `home/repos/` (the user's cache home), real folders only."""
    return [Path(entry.path) for entry in private_folders(str(home / "repos"))]


def remove_repository_cache(directory: Path) -> Usage:
    """Clear a per-repository cache under the user's cache home and remove its folder when
    nothing else is left in it."""
    cleared = clear(directory)
    _rmdir(str(directory))
    return cleared


__all__ = ["KindUsage", "Usage", "clear", "remove_repository_cache", "repository_caches", "usage"]
