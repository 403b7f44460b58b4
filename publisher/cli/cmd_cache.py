"""`handshake cache [REPO] [--clear] [--all]`: where the repository's cache is, what it
holds, and clearing it.

The cache bounds what grows per input, but a changed folder's or page's old entry stays, and
a deleted repository's cache stays under `$XDG_CACHE_HOME/handshake/repos/`
(publisher.cachefiles). Clearing removes only files Handshake wrote, and costs nothing but
the next run's time: every entry is a result that can be computed again.
"""
from __future__ import annotations

import argparse
import json
import os
from typing import Any

from publisher import cachefiles
from publisher.cache import ENV_OFF, CacheRefused, cache_home, locate_cache
from publisher.cli import EXIT_OK, UsageError
from publisher.cli.common import add_repo_argument, repo_path
from publisher.layout import printable


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("cache", help="show where the cache is and what it holds, or clear it",
                       description="Show where the repository's verification and build cache is, and what "
                                   "it holds per kind; with --clear, remove it (the next run is slower, "
                                   "never different). Only files Handshake wrote are ever removed.")
    add_repo_argument(p)
    p.add_argument("--clear", action="store_true", help="remove the repository's cache entries")
    p.add_argument("--all", action="store_true",
                   help="also every repository's cache under $XDG_CACHE_HOME/handshake/repos/ (list them; "
                        "with --clear, remove them, a deleted repository's included)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    root = repo_path(args.repo)
    out: dict[str, Any] = {"action": "clear" if args.clear else "usage", "repository": str(root), "cache": None}
    try:
        located = locate_cache(root)         # creates nothing: looking must not make a cache
    except CacheRefused as exc:
        raise UsageError(str(exc)) from exc
    if located is not None:
        act = cachefiles.clear if args.clear else cachefiles.usage
        out["cache"] = _describe(act(located[0]), located[1])
    if args.all:
        out["others"] = []
        for directory in cachefiles.repository_caches(cache_home()):
            if located is not None and directory == located[0]:
                continue
            found = cachefiles.remove_repository_cache(directory) if args.clear else cachefiles.usage(directory)
            out["others"].append(_describe(found, "under $XDG_CACHE_HOME"))
    if args.format == "json":
        print(json.dumps(out, indent=2, sort_keys=True))
    else:
        print(_text(out, cleared=args.clear, off=bool(os.environ.get(ENV_OFF)), listed=args.all))
    return EXIT_OK


def _describe(found: cachefiles.Usage, chosen_by: str) -> dict[str, Any]:
    return {"directory": str(found.directory), "chosen_by": chosen_by, "files": found.files, "bytes": found.size,
            "kinds": [{"kind": k.kind, "entries": k.entries, "packs": k.packs, "temporaries": k.temporaries,
                       "bytes": k.size} for k in found.kinds]}


def _size(n: int) -> str:
    if n < 1000:
        return f"{n:,} bytes"
    for unit, scale in (("KB", 1e3), ("MB", 1e6)):
        if n < scale * 1000:
            return f"{n / scale:,.1f} {unit}"
    return f"{n / 1e9:,.1f} GB"


def _text(out: dict[str, Any], *, cleared: bool, off: bool, listed: bool) -> str:
    verb = "cleared" if cleared else "holds"
    lines = []
    mine = out["cache"]
    if mine is None:
        why = f"caching is off (${ENV_OFF} is set)" if off else "no usable cache directory"
        lines.append(f"{printable(out['repository'])}: {why}")
    else:
        lines.append(f"cache of {printable(out['repository'])}: {printable(mine['directory'])} ({mine['chosen_by']})")
        lines += _kinds(mine)
        lines.append(f"  {verb}: {mine['files']:,} file(s), {_size(mine['bytes'])}")
    if listed:
        others = out["others"]
        total = sum(o["bytes"] for o in others)
        lines.append(f"other repositories' caches under {printable(str(cache_home()))}/repos: {len(others)}; "
                     f"{verb}: {_size(total)}")
        lines += [f"  {printable(o['directory'])}: {o['files']:,} file(s), {_size(o['bytes'])}" for o in others]
    return "\n".join(lines)


def _kinds(described: dict[str, Any]) -> list[str]:
    rows = []
    for k in described["kinds"]:
        parts = [f"{k['entries']:,} entr{'y' if k['entries'] == 1 else 'ies'}"]
        if k["packs"]:
            parts.append(f"{k['packs']} pack(s)")
        if k["temporaries"]:
            parts.append(f"{k['temporaries']} temporary file(s) of a run that died")
        rows.append(f"  {k['kind']:<24} {_size(k['bytes']):>10}  {', '.join(parts)}")
    return rows
