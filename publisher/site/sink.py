"""Where built files go: kept in memory (tests, verify-site) or written straight into the
staging directory of a publish (the CLI), so a 10,000-sovereign site never sits in memory.

Stage: output of `publisher.site.build`. Either sink records the sha256 of every file it
takes (the manifest's listing). `DirectorySink` only ever writes below its root (a path with
`..` or an absolute path is refused) and is used on a fresh staging directory that
`publisher.site.publish` swaps into place only after the whole build succeeded; worker
processes forked by the builder write into the same directory (disjoint paths).
"""
from __future__ import annotations

import errno
import hashlib
import os
import shutil
from array import array
from itertools import chain
from pathlib import Path
from typing import Any, Protocol

from publisher.jsontext import sorted_json
from publisher.readfile import read_regular


def json_bytes(value: Any) -> bytes:
    """Exports as compact sorted JSON (`jsontext`; the standard library indents in pure Python,
    ten times slower at 10,000 sovereigns); trust bundles keep the reference CLI's indented form."""
    return sorted_json(value) + b"\n"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class MemorySink:
    """Every file as bytes in `files`."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.digests: dict[str, str] = {}

    def put(self, path: str, data: bytes) -> None:
        self.files[path] = data
        self.digests[path] = sha256(data)

    def fork(self) -> MemorySink:
        """An empty sink of the same kind, for a worker process (its files travel back as bytes)."""
        return MemorySink()

    def merge(self, other: MemorySink) -> None:
        self.files.update(other.files)
        self.digests.update(other.digests)


def write_file(root: Path | str, path: str, data: bytes) -> None:
    """Write one file of the site (never through a symbolic link); the one place that does.
    The path is joined as a string: a Path object per file cost as much as its system calls."""
    fd = os.open(f"{os.fspath(root)}/{path}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


Stamp = tuple[int, int, int]          # size, mtime_ns, inode


def _stamp(info: os.stat_result) -> Stamp:
    return (info.st_size, info.st_mtime_ns, info.st_ino)


def stamp_of(path: Path | str) -> Stamp | None:
    try:
        return _stamp(os.lstat(path))
    except OSError:
        return None


def site_stamps(root: Path) -> tuple[dict[str, Stamp], dict[str, Stamp]]:
    """The stamp of every regular file and every directory under `root` (symlinks count as
    files with a stamp that never matches a published one), as `os.walk(root)` without
    following links classifies them. One `lstat` per entry and no path objects: at 330,000
    files the walk through `os.walk` and `Path` took 3.5 s on the critical path of a build."""
    files: dict[str, Stamp] = {}
    folders: dict[str, Stamp] = {}
    top = os.fspath(root)
    own = stamp_of(Path(top))
    pending: list[tuple[str, str, Stamp | None]] = [(top, "", own)]
    while pending:
        directory, rel, stamp = pending.pop()
        try:
            with os.scandir(directory) as listing:
                items = list(listing)
        except OSError:
            continue                     # as os.walk: an unreadable directory is skipped
        if stamp is not None:
            folders[rel] = stamp
        for item in items:
            try:
                is_dir = item.is_dir()   # follows symlinks, as os.walk classifies
            except OSError:
                is_dir = False
            try:
                found: Stamp | None = _stamp(item.stat(follow_symlinks=False))
            except OSError:
                found = None
            if not is_dir:
                if found is not None:
                    files[rel + item.name] = found
            elif not item.is_symlink():  # a link to a directory is neither walked nor stamped
                pending.append((item.path, f"{rel}{item.name}/", found))
    return files, folders


class Previous:
    """The site currently published at `root`, as far as it is provably unchanged since this
    user's last build wrote it: its manifest's digests, and the stamps recorded right after that
    build (`site_stamps`). A file is reusable when its digest is the one wanted and its stamp
    is the recorded one; anything edited, added or removed by hand since is rewritten.

    Kept compact: one row number per path, the sha256 digests as 32 raw bytes and the stamps
    as three integers in flat arrays. As dictionaries of strings and tuples the record of a
    330,000-file site took 187 MB, and every page worker, forked with it, copied the pages of
    each digest and stamp it looked up (a reference count written), adding 0.3 GB to the peak
    of a build over a published site."""

    def __init__(self, root: Path, digests: dict[str, str], files: dict[str, Stamp],
                 folders: dict[str, Stamp]) -> None:
        self.root, self.folders = root, folders
        self._top = os.fspath(root)
        rows = [*digests, *(p for p in files if p not in digests)]
        self._row: dict[str, int] = dict(zip(rows, range(len(rows)), strict=True))
        if files.keys() == digests.keys():      # as recorded right after a build: C-level loops
            self._has_digest = self._has_stamp = bytearray(b"\x01") * len(rows)
            self._stamps = array("q", chain.from_iterable(map(files.__getitem__, rows)))
        else:
            self._has_digest = bytearray(p in digests for p in rows)
            self._has_stamp = bytearray(p in files for p in rows)
            self._stamps = array("q", chain.from_iterable(files.get(p, (0, 0, 0)) for p in rows))
        self._odd: dict[str, str] = {}          # a digest not of the form sha256:<64 lowercase hex>
        packed = _all_raw(digests, rows)
        if packed is None:                      # one by one: some digest is odd, or missing
            raws = []
            for path in rows:
                digest = digests.get(path)
                raw = _raw_digest(digest)
                if raw is None and digest is not None:
                    self._odd[path] = digest
                raws.append(raw or bytes(32))
            packed = b"".join(raws)
        self._digests: bytes = packed

    def file(self, path: str) -> str:
        """The site file `path` under `root`, joined as a string: these run once per file."""
        return f"{self._top}/{path}"

    def digest(self, path: str) -> str | None:
        """The digest the manifest lists for `path`."""
        row = self._row.get(path)
        if row is None or not self._has_digest[row]:
            return None
        odd = self._odd.get(path) if self._odd else None
        return odd if odd is not None else "sha256:" + self._digests[32 * row:32 * row + 32].hex()

    def stamp(self, path: str) -> Stamp | None:
        """The stamp recorded for `path` after the build that published it."""
        row = self._row.get(path)
        if row is None or not self._has_stamp[row]:
            return None
        return self._stamps[3 * row], self._stamps[3 * row + 1], self._stamps[3 * row + 2]

    def listed(self) -> int:
        """How many files the manifest lists (manifest.json included)."""
        return self._has_digest.count(1)

    def digest_items(self) -> list[tuple[str, str]]:
        """(path, digest) of every file the manifest lists (manifest.json included), in its order."""
        return [(p, d) for p in self._row if (d := self.digest(p)) is not None]

    def stamped(self) -> list[str]:
        """Every file whose stamp was recorded."""
        return [p for p, row in self._row.items() if self._has_stamp[row]]

    def reusable(self, path: str, digest: str) -> bool:
        recorded = self.stamp(path)
        return recorded is not None and self.digest(path) == digest and stamp_of(self.file(path)) == recorded

    def intact(self) -> bool:
        """Every file of its manifest (and no other) still has its recorded stamp, and no
        directory changed: the site is exactly what the build that recorded it wrote."""
        if self._has_digest != self._has_stamp:
            return False
        return all(stamp_of(self.file(path)) == self.stamp(path) for path in self.stamped()) and self.untouched()

    def untouched(self) -> bool:
        """No file added to or removed from any directory since (directory stamps)."""
        # Folder keys end with "/" (the top one is ""): stripped, so that lstat never follows a
        # link that took a folder's place.
        top = self._top
        return all(stamp_of(f"{top}/{rel}".rstrip("/") if rel else top) == stamp for rel, stamp in self.folders.items())


def _all_raw(digests: dict[str, str], rows: list[str]) -> bytes | None:
    """Every row's digest as 32 raw bytes, in one conversion; None unless each row has one of
    the form sha256:<64 lowercase hex> (as every digest this builder writes)."""
    if len(digests) != len(rows) or not all(len(d) == 71 and d.startswith("sha256:") for d in digests.values()):
        return None
    return _lowercase_hex("".join(d[7:] for d in digests.values()))


def _raw_digest(digest: str | None) -> bytes | None:
    """The 32 bytes of a `sha256:<64 lowercase hex>` digest, else None."""
    if digest is None or len(digest) != 71 or not digest.startswith("sha256:"):
        return None
    return _lowercase_hex(digest[7:])


def _lowercase_hex(text: str) -> bytes | None:
    """The bytes `text` spells in lowercase hex (the form `digest` gives back), else None."""
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        return None
    return raw if raw.hex() == text else None


class DirectorySink:
    """Files written under `root` as they come; only their digests stay in memory. With a
    `previous` site, a file it already holds byte for byte is not written: `finish` links it
    into `root` (a hard link: no copy, the previous site is only ever unlinked; what is linked
    must still be the recorded file, see `_take`), or reports that the previous site is already
    exactly this one."""

    def __init__(self, root: Path, previous: Previous | None = None) -> None:
        self.root = Path(root)
        self._top = os.fspath(self.root)
        self.previous = previous
        self.files: dict[str, bytes] = {}      # always empty: the bytes are on disk
        self.digests: dict[str, str] = {}
        self.reused: list[str] = []
        self._made: set[str] = set()

    def _folder(self, path: str) -> None:
        folder = path.rpartition("/")[0]
        if folder and folder not in self._made:
            os.makedirs(f"{self._top}/{folder}", exist_ok=True)
            self._made.add(folder)

    def put(self, path: str, data: bytes) -> None:
        if path.startswith("/") or ".." in path.split("/"):
            raise ValueError(f"refusing to write outside the site: {path[:120]!r}")
        digest = sha256(data)
        self.digests[path] = digest
        if self.previous is not None and self.previous.reusable(path, digest):
            self.reused.append(path)
            return
        self._folder(path)
        write_file(self._top, path, data)

    def fork(self) -> DirectorySink:
        return DirectorySink(self.root, self.previous)

    def __getstate__(self) -> dict[str, Any]:
        """A worker's sink travels back as what it wrote (digests, reused paths), never with the
        previous site's record, which the parent holds: at 330,000 files, pickling that record
        with each of 50 chunks took a third of the page workers' CPU in a one-file-change build."""
        return {**self.__dict__, "previous": None, "_made": set()}

    def keep_all(self) -> None:
        """Take the whole previous site as this build (`incremental.kept` proved it is)."""
        assert self.previous is not None
        self.digests = {p: d for p, d in self.previous.digest_items() if p != "manifest.json"}
        self.reused = self.previous.stamped()

    def merge(self, other: DirectorySink) -> None:
        self.digests.update(other.digests)
        self.reused.extend(other.reused)

    def finish(self) -> bool:
        """True when the previous site is already exactly this build (nothing written, nothing
        missing, nothing extra); otherwise link every reused file into `root` and return False."""
        previous = self.previous
        if previous is None:
            return False
        wanted = set(self.digests) | {"manifest.json"}
        if set(self.reused) == set(previous.stamped()) == wanted and previous.untouched():
            return True
        for path in self.reused:
            self._folder(path)
            self._take(previous, path)
        return False

    def _take(self, previous: Previous, path: str) -> None:
        """Link (else copy) a reused file into `root`, and prove that what was taken is the file
        recorded as published: `reusable` judged it when it was put, but another build may have
        published its own file at that path since. A link is the recorded file when it has the
        recorded stamp (same inode, size and time), a copy when it is a regular file with the
        recorded digest; anything else fails the build (PreviousSiteChanged)."""
        source, target = previous.file(path), f"{self._top}/{path}"
        try:
            os.link(source, target, follow_symlinks=False)
            same = stamp_of(target) == previous.stamp(path)
        except OSError:
            shutil.copyfile(source, target, follow_symlinks=False)
            same = _regular_file_digest(target) == previous.digest(path)
        if not same:
            raise PreviousSiteChanged(errno.ESTALE, "the published site changed while this build ran "
                                      "(another build published?); build again", source)


class PreviousSiteChanged(OSError):
    """A file of the previous site that the build reuses is no longer the one recorded."""


def _regular_file_digest(path: str) -> str | None:
    """The digest of the regular file at `path`, or None for anything else (a link, a pipe)."""
    try:
        return sha256(read_regular(path))
    except OSError:
        return None


Sink = MemorySink | DirectorySink


class Writer(Protocol):
    """Anything files can be put into (a sink, or a wrapper around one)."""

    def put(self, path: str, data: bytes) -> None: ...
