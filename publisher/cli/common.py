"""Argument helpers shared by commands: the evaluation time and the repository path."""
from __future__ import annotations

import argparse
import os
import stat
import sys
from datetime import datetime, UTC
from pathlib import Path
from typing import TYPE_CHECKING

from publisher import timestamps
from publisher.cli import UsageError
from publisher.layout import SOVEREIGNS_DIR, TRUST_PATHS, printable
from publisher.site.manifest import is_built_site

if TYPE_CHECKING:
    from publisher.cache import Cache


def add_repo_argument(parser: argparse.ArgumentParser, name: str = "repo", *,
                      what: str = "repository root") -> None:
    """REPO as a positional (`repo`) or an option (`--repo`), with one help text for the
    discovery `repo_path` does when it is left out."""
    text = f"{what} (default: the current directory, or the repository above it in the same git work tree)"
    if name.startswith("-"):
        parser.add_argument(name, help=text)
    else:
        parser.add_argument(name, nargs="?", help=text)


def worker_count(value: str) -> int:
    """`--jobs`: a whole number of worker processes, at least 1 (argparse reports the rest)."""
    try:
        count = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"{count} worker processes: at least 1 (leave --jobs out for all cores)")
    return count


def parse_at(value: str | None, *, default: datetime | None = None) -> datetime:
    """`--at`: an ISO-8601 time, `now`, or the default (which callers derive from git or
    SOURCE_DATE_EPOCH). Time is read from the clock only when asked for, here at the edge."""
    if value is None:
        return default if default is not None else datetime.now(UTC).replace(microsecond=0)
    if value == "now":
        return datetime.now(UTC).replace(microsecond=0)
    parsed = timestamps.parse(value)
    if parsed is None:
        raise UsageError(f"--at {value!r} is not an ISO-8601 time such as 2026-11-23T12:00:00Z, or 'now'")
    return parsed


def source_date_epoch() -> datetime | None:
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if not value:
        return None
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise UsageError(f"SOURCE_DATE_EPOCH={value!r} is not a Unix time") from exc


def repo_cache(root: Path, no_cache: bool) -> Cache | None:
    """The repository's cache (publisher.cache.open_cache), None with --no-cache; a cache
    directory among the trust paths is misuse."""
    if no_cache:
        return None
    from publisher.cache import CacheRefused, open_cache
    try:
        return open_cache(root)
    except CacheRefused as exc:
        raise UsageError(str(exc)) from exc


def repo_path(value: str | None) -> Path:
    """REPO as given, or, when left out, the current directory or the Handshake repository
    above it (`discover`)."""
    if value is None:
        try:
            cwd = Path.cwd()
        except OSError as exc:      # removed (or made unreadable) while a shell stood in it
            raise UsageError(f"the current directory no longer exists ({exc.strerror}): cd into the "
                             "repository, or give REPO") from exc
        return discover(cwd)
    path = Path(value)
    if not path.is_dir():
        raise UsageError(f"{path} is not a directory")
    return path.resolve()


def discover(cwd: Path) -> Path:
    """The nearest folder from `cwd` up to its git work tree's top holding sovereigns/,
    trust.lock or coalition.json; `cwd` itself when there is none. Run from sovereigns/ or a
    sovereign's folder, a command works on the repository instead of writing a nested
    sovereigns/sovereigns/ or reporting no sovereigns; outside a git work tree, or in a fresh
    one, nothing above `cwd` is chosen (a sovereigns/ folder in /tmp is nobody's repository).
    A sovereign folder that is a git submodule (its own .git) is not taken for the repository:
    its superproject is (`_enclosing`). A built site holds the same names (its pages under
    sovereigns/, copies of trust.lock and coalition.json) and is passed over: run from _site/,
    a command works on the repository it was built from, and authoring never writes into the
    site."""
    here = cwd.resolve()
    top = next((folder for folder in (here, *here.parents) if _holds(folder, ".git")), None)
    if top is None:
        return here
    for folder in (here, *here.parents):
        if _is_repository(folder):
            if folder != here:
                print(f"handshake: using the repository at {printable(str(folder))} "
                      "(above the current directory)", file=sys.stderr)
            return folder
        if folder == top:
            break
    return _enclosing(top) or here


def _enclosing(top: Path) -> Path | None:
    """The Handshake repository whose sovereigns/ holds `top`, a git work tree of its own that
    is no Handshake repository (a sovereign folder checked out as a submodule): the
    superproject when git names it (`--show-superproject-working-tree`), with a line saying
    why; else (a clone made inside a sovereign folder) UsageError naming both, since neither
    is the repository by git's account. None when no such repository holds `top`."""
    outer = next((folder for folder in top.parents if _holds(folder, ".git") and _is_repository(folder)), None)
    if outer is None or not top.is_relative_to(outer / SOVEREIGNS_DIR):
        return None
    from publisher import gitrepo
    try:
        named = gitrepo.superproject(top)
    except gitrepo.GitError:
        named = None
    if named is not None and named.resolve() == outer:
        print(f"handshake: using the repository at {printable(str(outer))} (above the current directory: "
              f"{printable(str(top))} is a git submodule of it)", file=sys.stderr)
        return outer
    raise UsageError(f"{top} is a git repository of its own inside {outer / SOVEREIGNS_DIR}, and not a submodule "
                     f"of {outer}: it is not a Handshake repository (it holds no sovereigns/, trust.lock or "
                     f"coalition.json); give the repository as REPO ({outer}) or run from it")


def _is_repository(folder: Path) -> bool:
    markers = any(_holds(folder, marker, folder=marker == SOVEREIGNS_DIR) for marker in TRUST_PATHS)
    return markers and not is_built_site(folder)


def _holds(parent: Path, name: str, *, folder: bool = False) -> bool:
    """`parent/name` exists (as a folder, with `folder`: a file named sovereigns marks nothing);
    a folder that refuses a look (EACCES) holds nothing, rather than a traceback."""
    try:
        mode = (parent / name).stat().st_mode
    except OSError:
        return False
    return stat.S_ISDIR(mode) or not folder
