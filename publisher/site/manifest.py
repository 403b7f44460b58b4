"""Read a published site back and compare it with a rebuild (`handshake verify-site`).

`read_site` is the only reader of a site directory (regular files only, symlinks reported as
extra entries, never followed). `compare` lists every path whose bytes differ, is missing
from the published site, or is there without being built.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from collections.abc import Mapping

from publisher import timestamps
from publisher.limits import DEFAULT_LIMITS
from publisher.readfile import read_regular
from publisher.strictjson import Refusal, load_json


@dataclass(frozen=True, order=True)
class Difference:
    path: str
    kind: str          # changed | missing (built, not published) | extra (published, not built)


@dataclass(frozen=True)
class ManifestInfo:
    source_commit: str
    evaluated_at: Any
    base_url: str
    allow_errors: bool
    generator: str
    has_changes: bool = False      # the build read the change channel from git history


# A manifest lists every file with its digest, about 140 bytes each: 512 MiB is room for the
# 1,000,000 trust files `limits` allows and every page built from them.
MAX_MANIFEST_BYTES = 512 << 20
MANIFEST_LIMITS = replace(DEFAULT_LIMITS, max_file_bytes=MAX_MANIFEST_BYTES)


def read_manifest(directory: str | Path) -> bytes:
    """The bytes of `directory/manifest.json`. A site directory is not trusted input: OSError
    unless it is a regular file of at most MAX_MANIFEST_BYTES (`readfile.read_regular`: a link
    is never followed, to /dev/zero a read never ends; a named pipe never waited on; a sparse
    file of any size never read)."""
    return read_regular(os.path.join(directory, "manifest.json"), MAX_MANIFEST_BYTES)


SITE_MANIFEST_TAIL = 4096      # bytes of manifest.json that hold "generator" (sorted keys: near the end)


def is_built_site(directory: str | Path) -> bool:
    """`directory` holds a site this tool built: its manifest.json names the handshake
    generator. The manifest lists every file (megabytes at scale) and keeps "generator" near its
    end (sorted keys), so only its tail is read, and only from a regular file (a named pipe would
    block)."""
    try:
        fd = os.open(os.path.join(directory, "manifest.json"), os.O_RDONLY | os.O_NONBLOCK)
        with open(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                return False
            handle.seek(max(0, info.st_size - SITE_MANIFEST_TAIL))
            tail = handle.read(SITE_MANIFEST_TAIL)
    except OSError:
        return False
    return b'"generator": "handshake' in tail or b'"generator":"handshake' in tail


def load_manifest(directory: str | Path) -> ManifestInfo:
    """The build parameters recorded in `directory/manifest.json` (ValueError when unusable).

    Read as strict JSON: nesting deep enough to exhaust the parser's recursion, a duplicate
    key (json.loads keeps the last "source_commit", another reader the first) and a lone
    surrogate (no command line can carry it to git) are refusals, never a crash."""
    try:
        value = load_json(read_manifest(directory), MANIFEST_LIMITS)
    except OSError as exc:
        raise ValueError(f"cannot read {directory}/manifest.json: {exc}") from exc
    if isinstance(value, Refusal):
        raise ValueError(f"cannot read {directory}/manifest.json: {value.message} ({value.code})")
    if not isinstance(value, dict):
        raise ValueError("manifest.json is not an object")
    commit, at = value.get("source_commit"), timestamps.parse(value.get("evaluated_at"))
    if not isinstance(commit, str) or not commit:
        raise ValueError("manifest.json names no source commit: the site was not built from a git commit")
    if at is None:
        raise ValueError("manifest.json has no valid evaluated_at")
    base = value.get("base_url")
    return ManifestInfo(commit, at, base if isinstance(base, str) else "", value.get("allow_errors") is True,
                        str(value.get("generator", "")), value.get("history") is True)


def read_site(directory: str | Path, expected: Mapping[str, bytes] | None = None) -> dict[str, bytes]:
    """Every file of a site directory by path. With `expected` (the rebuild), a file it does
    not hold, or of another size, is not read, since a tampered site may hold a file of any
    size: it maps to b"", or to bytes one longer than expected, so it still compares unequal.

    Walked with a stack of its own, not os.walk (recursive before Python 3.12: folders nested
    1,500 deep raised RecursionError); every file read through `read_regular`, so one that is
    unreadable, turned into a pipe or grown since it was listed compares unequal instead of
    raising or blocking. A folder that cannot be listed contributes nothing: its built files
    are reported missing."""
    root = os.fspath(directory)
    files: dict[str, bytes] = {}
    folders: list[tuple[str, str]] = [(root, "")]
    while folders:
        folder, prefix = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            rel = prefix + entry.name
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                files[rel] = b""
                continue
            if stat.S_ISDIR(info.st_mode):
                folders.append((entry.path, rel + "/"))
            elif not stat.S_ISREG(info.st_mode) or (expected is not None and rel not in expected):
                files[rel] = b""          # a link (never followed), a pipe, a device, or not built
            elif expected is not None and info.st_size != len(expected[rel]):
                files[rel] = expected[rel] + b"\0"
            else:
                try:
                    files[rel] = read_regular(entry.path, None if expected is None else len(expected[rel]))
                except OSError:
                    files[rel] = b"" if expected is None else expected[rel] + b"\0"
    return files


def compare(expected: Mapping[str, bytes], actual: Mapping[str, bytes]) -> list[Difference]:
    out = [Difference(p, "missing") for p in expected if p not in actual]
    out += [Difference(p, "extra") for p in actual if p not in expected]
    out += [Difference(p, "changed") for p in expected if p in actual and expected[p] != actual[p]]
    return sorted(out)
