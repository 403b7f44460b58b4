"""Publish a built site: write it into a temporary directory beside the target, then swap.

The previous site stays untouched until the new tree is complete: on Linux the two
directories are exchanged atomically (renameat2 RENAME_EXCHANGE); elsewhere the old tree is
renamed aside and the new one renamed into place (a moment without a site, never a half-built
one). Refuses to replace a non-empty directory that is not a Handshake site (no manifest.json)
or that holds anything its manifest does not list, so a mistyped --out cannot delete someone's
files. `staging` hands the builder the directory to write into
(`publisher.site.sink.DirectorySink`), `publish` writes an in-memory site.
`record_published` remembers (in the sealed cache) the stamps of a site just published, so the
next build can link the files it would write identically (`previous_site`) and leave a site
that is already exactly the build in place.
"""
from __future__ import annotations

import ctypes
import hashlib
import ctypes.util
import errno
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Iterator, Mapping

from publisher.cache import Cache
from publisher.layout import printable, shown_name
from publisher.site.manifest import read_manifest
from publisher.site.sink import DirectorySink, Previous, sha256, site_stamps

PUBLISHED_KIND = "site-published"
RENAME_EXCHANGE = 2
AT_FDCWD = -100


class PublishError(Exception):
    """The target cannot be replaced (not a Handshake site, holding files that are not the
    site's, or not a directory) or written."""


NOT_A_SITE = "exists and is not a Handshake site (no handshake manifest.json)"


def replace_refusal(target: Path, previous: Previous | None = None) -> str | None:
    """Why `target` must not be replaced by a new site, or None: it may be when absent, empty,
    or a site this tool wrote that holds nothing its manifest.json does not list. Replacing a
    directory deletes all of it, so a site directory that also holds someone's files (a
    gh-pages checkout's .git and CNAME, a page added by hand, the repository itself) is
    refused rather than emptied. `previous` (the site as this user's last build recorded it)
    spares the walk when no directory of it changed since."""
    if target.is_symlink():
        return "is a symbolic link; give the directory it points to"
    if not target.exists():
        return None
    if not target.is_dir():
        return "exists and is not a directory"
    if not any(target.iterdir()):
        return None
    try:
        data = read_manifest(target)
        if (previous is not None and previous.root == target and previous.digest("manifest.json") == sha256(data)
                and previous.untouched()):
            # The manifest `previous_site` parsed and found to be this tool's (tens of MB at
            # scale: its parse is a tenth of a second), and no entry added anywhere since.
            return None
        value = json.loads(data)
    except (OSError, ValueError, RecursionError):   # nested past the parser's depth: nobody's site
        return NOT_A_SITE
    if not is_handshake_manifest(value):
        return NOT_A_SITE
    listed = value.get("files")
    foreign = unlisted(target, listed if isinstance(listed, dict) else {})
    if foreign:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        return (f"holds {printable(shown_name(foreign[0]))}{more}, which its manifest.json does not list "
                "(replacing the site would delete them); move them away or choose another --out")
    return None


def is_handshake_manifest(value: object) -> bool:
    """A parsed manifest.json that names this tool as its generator."""
    return isinstance(value, dict) and str(value.get("generator", "")).startswith("handshake")


def unlisted(target: Path, files: Mapping[str, object]) -> list[str]:
    """Every entry under `target` that is neither manifest.json nor a file the site's manifest
    lists nor a folder holding one (a folder's content is not walked), sorted; symbolic links
    are entries, never followed. An unreadable folder counts as unlisted: it cannot be proved
    to hold only the site's files."""
    folders: set[str] = set()
    for path in files:
        cut = path.rfind("/")
        while cut > 0 and path[:cut] not in folders:
            folders.add(path[:cut])
            cut = path.rfind("/", 0, cut)
    found: list[str] = []
    pending = [("", os.fspath(target))]
    while pending:
        rel, directory = pending.pop()
        try:
            with os.scandir(directory) as listing:
                items = [(item.name, item.path, item.is_dir(follow_symlinks=False)) for item in listing]
        except OSError:
            found.append(rel or ".")
            continue
        for name, path, is_dir in items:
            if is_dir and rel + name in folders:
                pending.append((f"{rel}{name}/", path))
            elif is_dir:
                found.append(f"{rel}{name}/")
            elif rel + name not in files and rel + name != "manifest.json":
                found.append(rel + name)
    return sorted(found)


def write_tree(files: Mapping[str, bytes], root: Path) -> None:
    """Write an in-memory site under `root` through the same sink a streamed build uses."""
    sink = DirectorySink(root)
    for path, data in files.items():
        try:
            sink.put(path, data)
        except ValueError as exc:       # a path outside the site
            raise PublishError(str(exc)) from exc


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two directories (Linux renameat2); False when unavailable."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    result = renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE)
    return bool(result == 0)


def swap_into_place(staging: Path, target: Path) -> None:
    if not target.exists():
        try:
            os.rename(staging, target)
            return
        except OSError as exc:      # another build published `target` since: replace it like any site
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY) or not target.is_dir():
                raise
    if _exchange(staging, target):
        # staging now holds the previous site, and the new one is published: a folder of the
        # old one that cannot be removed is left behind, as on the rename path below, not
        # reported as a failed build.
        shutil.rmtree(staging, ignore_errors=True)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rmdir(aside)
    os.rename(target, aside)
    try:
        os.rename(staging, target)
    except OSError:
        os.rename(aside, target)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def _check_target(target: Path, previous: Previous | None = None) -> Path:
    target = Path(target).absolute()
    refusal = replace_refusal(target, previous)
    if refusal is not None:
        raise PublishError(f"{printable(shown_name(str(target)))} {refusal}; refusing to replace it")
    return target


@dataclass
class Staging:
    path: Path
    keep_previous: bool = False     # set when the previous site is already exactly the build


@contextmanager
def staging(target: Path, previous: Previous | None = None) -> Iterator[Staging]:
    """A fresh directory beside `target` to build into; swapped into place when the block ends
    normally (unless `keep_previous` was set: then it is removed), removed (the previous site
    untouched) when it raises. PublishError for a target that may not be replaced
    (`replace_refusal`; `previous`: `previous_site(target)`) or a filesystem that refuses the writes."""
    target = _check_target(target, previous)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.build-", dir=target.parent))
    except OSError as exc:
        raise PublishError(f"cannot write beside {target}: {exc.strerror or exc}; "
                           "the previous site is untouched") from exc
    try:
        handle = Staging(folder)
        yield handle
        if handle.keep_previous:
            shutil.rmtree(folder)
            return
        os.chmod(folder, 0o755)
        swap_into_place(folder, target)
    except OSError as exc:          # disk full, read-only, quota: one clear line, nothing half-written
        shutil.rmtree(folder, ignore_errors=True)
        raise PublishError(f"cannot write the site to {target}: {exc.strerror or exc}"
                           f"{f' ({exc.filename})' if exc.filename else ''}; the previous site is untouched") from exc
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def publish(files: Mapping[str, bytes], target: Path) -> None:
    """Write `files` as the complete content of `target`, atomically replacing what was there."""
    with staging(target) as stage:
        write_tree(files, stage.path)


def _published_key(target: Path) -> str:
    return hashlib.sha256(f"site-published/v1\0{Path(target).absolute()}".encode("utf-8", "surrogatepass")).hexdigest()


def previous_site(target: Path, cache: Cache | None) -> Previous | None:
    """The site at `target` as this user's last build left it (stamps recorded by
    `record_published`), or None: no cache, no record, or a manifest that is not the recorded one."""
    if cache is None:
        return None
    target = Path(target).absolute()
    recorded = cache.get(PUBLISHED_KIND, _published_key(target), tuple)
    try:
        data = read_manifest(target)
    except (OSError, ValueError):
        return None
    if recorded is None or len(recorded) != 3 or recorded[0] != sha256(data):
        return None
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return None
    digests = value.get("files") if is_handshake_manifest(value) else None
    if not isinstance(digests, dict):
        return None
    return Previous(target, {**digests, "manifest.json": sha256(data)}, recorded[1], recorded[2])


def record_published(target: Path, cache: Cache | None) -> None:
    """Remember the stamps of every file and directory of the site just published at `target`."""
    if cache is None:
        return
    target = Path(target).absolute()
    try:
        data = read_manifest(target)
    except (OSError, ValueError):
        return
    files, folders = site_stamps(target)
    cache.put(PUBLISHED_KIND, _published_key(target), (sha256(data), files, folders))
