"""Where documents come from: the working tree here; a git commit in `publisher.gitsource`.

A source lists entries (never following symbolic links) and reads bytes. It is the only code
in the verification path that touches the filesystem. Symlinks are reported with whether
their target leaves the tree; they are never read through.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, NamedTuple, Protocol
from collections.abc import Iterable
from itertools import compress

from publisher import collector
from publisher.layout import TRUST_PATHS
from publisher.readfile import read_regular


RACY_NS = 2_000_000_000    # a stat stamp younger than this may not show a change made in the same tick
FIND_SPLIT_AT = 64         # sovereign folders; below this one find is as fast as two

# One record per path, everything a listing and its stat stamps hold: type, size, mtime, ctime,
# inode, device, symlink target, path, each ended by a NUL (which no path or link target can
# hold). A path changed within RACY_NS prints "!" instead.
_FIND_RECORD = r"%y\0%s\0%T@\0%C@\0%i\0%D\0%l\0%p\0"
_FIND_FIELDS = 8


class Entry(NamedTuple):
    """One listed path. A named tuple: a 10,000-sovereign tree lists 190,000 of them, and a
    frozen dataclass cost three times as much to build."""

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


_Find = tuple[list[str], "subprocess.Popen[bytes]", IO[bytes], IO[bytes]]   # paths, process, stdout, stderr


class WorktreeSource:
    """The files of a directory on disk (a checkout, or any folder in the layout).

    Listing also records each regular file's stat stamp (size, mtime_ns, ctime_ns, inode,
    device) in `stamps`, which the verification cache uses to recognise unchanged files.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        self._root = str(self.root)
        self.stamps: dict[str, tuple[int, int, int, int, int]] = {}
        self._finds: list[_Find] | None = None
        self._found: list[bytes] | None = None     # find's records, kept by `fingerprint` for `entries`
        self._by_find: dict[str, list[Entry]] | None = None    # ... parsed, by trust path
        self._find_stamps: dict[str, Stamp] = {}

    def describe(self) -> str:
        return str(self.root)

    def start_fingerprint(self) -> None:
        """Start the stat walk of `fingerprint` now, so it runs while the caller imports and
        loads; `fingerprint()` collects it. The walk sees the tree as it is when it runs."""
        if self._finds is None:
            self._finds = self._spawn_finds()

    def fingerprint(self) -> tuple[str, str, str] | None:
        """A digest of the stat stamps of everything verification reads, without listing in
        Python: GNU find prints them in C, two processes over the two halves of the sovereign
        folders (190,000 files: 0.3 s, where the Python listing took 2 s). None where GNU find
        is missing or fails, or when anything changed within the last RACY_NS (a write in the
        same clock tick would not show); the caller then lists. A directory read back in another
        order (never, for an unchanged directory on the usual filesystems) only costs a miss."""
        finds, self._finds = self._finds or self._spawn_finds(), None
        if not finds:
            return None
        outputs = _printed(finds)
        digest = hashlib.sha256()
        for (paths, _, _, _), data in zip(finds, outputs, strict=True):
            if data is None or data.startswith(b"!\0") or b"\0!\0" in data:
                return None
            digest.update(b"%d\0%d\0" % (len(paths), len(data)))
            digest.update("\0".join(paths).encode("utf-8", "surrogateescape"))
            digest.update(data)
        self._found = [data for data in outputs if data is not None]
        return "find", self._root, digest.hexdigest()

    def list_by_find(self) -> bool:
        """List the trust paths with find now, racy files included, so that `entries` answers
        from its records (0.5 s at 190,000 files against 1.1-1.5 s listed in Python) and
        `stamps` holds what it printed. For a caller that judges racy stamps itself (an
        authoring command, which has just written files). False when find cannot list."""
        finds = self._spawn_finds(mark_racy=False)
        outputs = _printed(finds)
        if not finds or any(data is None for data in outputs):
            return False
        self._found, self._by_find = [data for data in outputs if data is not None], None
        return True

    def _spawn_finds(self, *, mark_racy: bool = True) -> list[_Find]:
        """One find process per group of paths, each printing into a temporary file (not a
        pipe: nothing has to read while it runs); [] when find cannot vouch."""
        find = shutil.which("find")
        present = [name for name in TRUST_PATHS if os.path.lexists(os.path.join(self._root, name))]
        groups = self._find_groups(present) if find is not None and present else None
        if not groups or find is None:
            return []
        horizon = f"@{(time.time_ns() - RACY_NS) / 1e9:.9f}"
        racy = ["(", "-newermt", horizon, "-o", "-newerct", horizon, ")", "-printf", r"!\0", "-o"] if mark_racy else []
        expression = ["-name", ".git", "-type", "d", "-prune", "-o", *racy, "-printf", _FIND_RECORD]
        env = {"LC_ALL": "C", "PATH": os.environ.get("PATH", "")}
        started: list[_Find] = []
        for paths in groups:
            out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
            try:
                process = subprocess.Popen([find, *paths, *expression], cwd=self._root, stdout=out, stderr=err,
                                           env=env)
            except OSError:
                out.close()
                err.close()
                for _, running, other_out, other_err in started:
                    running.kill()
                    running.wait()
                    other_out.close()
                    other_err.close()
                return []
            started.append((paths, process, out, err))
        return started

    def _find_groups(self, present: list[str]) -> list[list[str]] | None:
        """The paths of the one or two find runs: with many sovereign folders, the entries of
        `sovereigns` in two halves (the root files with the first). The directory's own stamp is
        left out: what it records (which entries it holds) is the list of paths itself."""
        base = os.path.join(self._root, "sovereigns")
        if "sovereigns" not in present or os.path.islink(base) or not os.path.isdir(base):
            return [present]
        try:
            children = sorted(os.listdir(base))
        except OSError:
            return None
        if len(children) < FIND_SPLIT_AT:
            return [present]
        half = len(children) // 2
        first = [f"sovereigns/{name}" for name in children[:half]]
        second = [f"sovereigns/{name}" for name in children[half:]]
        return [[name for name in present if name != "sovereigns"] + first, second]

    def entries(self, prefix: str = "") -> list[Entry]:
        listed = self._listed_by_find(prefix)
        if listed is not None:
            return listed
        base = self.root / prefix if prefix else self.root
        try:
            mode = base.lstat().st_mode
        except OSError:
            return []
        if not stat.S_ISDIR(mode):
            return [self._entry(base)]   # a file, a symlink, or a pipe or socket (listed, never read)
        found: list[Entry] = []
        # Equivalent to os.walk(followlinks=False) with string paths: one lstat per file is the
        # cost that matters at 190,000 files, so the loop does nothing else (d_type answers
        # is_dir/is_file without a system call; pathlib objects cost more than the syscall).
        pending = [(str(base), base.relative_to(self.root).as_posix() if prefix else "")]
        while pending:
            directory, rel = pending.pop()
            try:
                with os.scandir(directory) as listing:
                    items = list(listing)
            except OSError:
                continue   # as os.walk: an unreadable directory is skipped
            head = f"{rel}/" if rel else ""
            for item in items:
                child = head + item.name
                if item.is_file(follow_symlinks=False):   # the common case: no is_dir() call
                    found.append(self._file_entry(item, child))
                    continue
                try:
                    is_dir = item.is_dir()   # follows symlinks, as os.walk classifies
                except OSError:
                    is_dir = False
                if is_dir:
                    if item.name == ".git":
                        continue
                    if item.is_symlink():
                        found.append(self._entry(Path(item.path)))
                    else:
                        pending.append((item.path, child))
                    continue
                found.append(self._file_entry(item, child))
        found.sort()
        return found

    def _listed_by_find(self, prefix: str) -> list[Entry] | None:
        """The entries of a trust path from the records the fingerprint's find printed, when it
        was taken (a snapshot miss: the tree changed, or the cache is cold) and they hold only
        regular files and directories: 0.5 s at 190,000 files, where listing them again in
        Python took 1.1-1.5 s on one core. None otherwise (a symbolic link, a pipe, a record
        that does not parse), and the Python listing answers. The records are as old as the
        fingerprint, which stands for them."""
        if prefix not in TRUST_PATHS or (self._found is None and self._by_find is None):
            return None
        if self._by_find is None:
            with collector.paused():       # 190,000 entries and stamps: the collector's scans
                parsed = parse_find_records(self._found or [])   # of them tripled the cost
            self._found = None
            if parsed is None:
                return None
            self._by_find = {}
            for entry in parsed[0]:
                self._by_find.setdefault(entry.path.partition("/")[0], []).append(entry)
            self._find_stamps = parsed[1]
        found = list(self._by_find.get(prefix, ()))
        self.stamps.update((entry.path, self._find_stamps[entry.path]) for entry in found)
        return found

    def _file_entry(self, item: os.DirEntry[str], rel: str) -> Entry:
        try:
            info = item.stat(follow_symlinks=False)
        except OSError:
            return self._entry(Path(item.path))
        if stat.S_ISREG(info.st_mode):
            self.stamps[rel] = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)
            return Entry(rel, "file", info.st_size)
        if stat.S_ISLNK(info.st_mode):
            return self._entry(Path(item.path))
        return Entry(rel, "other", 0)

    def _entry(self, full: Path) -> Entry:
        rel = full.relative_to(self.root).as_posix()
        try:
            info = full.lstat()
        except OSError:
            return Entry(rel, "other", 0)   # gone or unreadable since it was listed: never read
        if stat.S_ISLNK(info.st_mode):
            # realpath, not Path.resolve: a symlink loop is hostile input to report, and resolve
            # raises on one (RuntimeError on 3.11, OSError later); realpath stops where it loops.
            resolved = Path(os.path.realpath(full))
            escapes = not (resolved == self.root or self.root in resolved.parents)
            return Entry(rel, "symlink", 0, escapes)
        if stat.S_ISREG(info.st_mode):
            self.stamps[rel] = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)
            return Entry(rel, "file", info.st_size)
        return Entry(rel, "other", 0)

    def read(self, path: str) -> bytes:
        """A listed file's bytes (`readfile.read_regular`): one swapped for a symbolic link or
        a named pipe since it was listed is refused, not followed or waited on."""
        return read_regular(os.path.join(self._root, path))

    def root_names(self) -> list[str]:
        """The names at the top of the tree (one directory listing; none when it fails)."""
        try:
            return os.listdir(self._root)
        except OSError:
            return []


def _printed(finds: list[_Find]) -> list[bytes | None]:
    """What each find printed (None for one that failed or wrote to stderr); every process is
    waited for and every file closed."""
    outputs: list[bytes | None] = []
    for _, process, out, err in finds:
        with out, err:
            failed = process.wait() != 0 or err.tell() != 0
            out.seek(0)
            outputs.append(None if failed else out.read())
    return outputs


def _nanoseconds(values: list[bytes]) -> list[int]:
    """find's `%T@` ("SECONDS.NNNNNNNNN0", nanoseconds then a zero) as integer nanoseconds,
    exactly as `stat` gives them; ValueError for any other form."""
    if any(value[-11:-10] != b"." or value[-1:] != b"0" for value in values):
        raise ValueError("not find's %T@ form")
    return [int(value[:-11] + value[-10:-1]) for value in values]


Stamp = tuple[int, int, int, int, int]      # size, mtime_ns, ctime_ns, inode, device


def parse_find_records(outputs: Iterable[bytes]) -> tuple[list[Entry], dict[str, Stamp]] | None:
    """The file entries (sorted) and their stat stamps from `_FIND_RECORD` output, or None when
    it holds anything but regular files and directories (what the Python listing must classify:
    links, pipes) or does not parse. Column by column over the split output: the C-level calls
    do the work, at 190,000 records."""
    encoding, errors = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()
    paths: list[str] = []
    columns: list[list[int]] = [[], [], [], [], []]          # size, mtime, ctime, inode, device
    try:
        for data in outputs:
            fields = data.split(b"\0")
            if fields.pop() != b"" or len(fields) % _FIND_FIELDS:
                return None
            kinds = fields[0::_FIND_FIELDS]
            if not set(kinds) <= {b"f", b"d"}:
                return None
            files = [kind == b"f" for kind in kinds]

            def column(index: int) -> list[bytes]:
                return list(compress(fields[index::_FIND_FIELDS], files))  # noqa: B023 (used at once)

            paths += [path.decode(encoding, errors) for path in column(7)]
            columns[0] += map(int, column(1))
            columns[1] += _nanoseconds(column(2))
            columns[2] += _nanoseconds(column(3))
            columns[3] += map(int, column(4))
            columns[4] += map(int, column(5))
    except (ValueError, UnicodeError):
        return None
    stamps = dict(zip(paths, zip(*columns[:5], strict=True), strict=True))
    order = sorted(range(len(paths)), key=paths.__getitem__)
    sizes = columns[0]
    entries = [Entry(paths[i], "file", sizes[i]) for i in order]
    return entries, stamps


def for_worker(source: Source) -> Source:
    """The source a forked worker reads from: one that holds a reader it must not share with
    the parent (a git cat-file pipe) gives a fresh copy; any other is the same object."""
    fresh = getattr(source, "for_worker", None)
    return fresh() if callable(fresh) else source


def group_by_sovereign(entries: Iterable[Entry]) -> tuple[dict[str, list[Entry]], list[Entry]]:
    """Entries inside sovereigns/<id>/ grouped by id (sorted), and the entries that belong to
    no folder: directly under sovereigns/, or `sovereigns` itself when it is not a directory
    (a symlink, a file). Entries elsewhere are left out."""
    groups: dict[str, list[Entry]] = {}
    loose: list[Entry] = []
    for entry in entries:
        parts = entry.path.split("/", 2)
        if parts[0] != "sovereigns":
            continue
        if len(parts) < 3:
            loose.append(entry)
        else:
            groups.setdefault(parts[1], []).append(entry)
    return dict(sorted(groups.items())), loose
